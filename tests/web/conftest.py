"""Browser fixtures: a real server over the demo workspace, and Debian's Chromium.

``live_server`` builds the demo portfolio once per test process (each xdist worker has its
own database and port; every demo user's password is :data:`PASSWORD`), and serves
``create_app`` with Uvicorn in a background thread. Chromium is Debian's
(``SCALEGATE_CHROMIUM`` or ``chromium`` on PATH); Playwright never downloads a browser.
Without one the browser tests skip, except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

#: the demo's password for every demo user (``services.demo.DEMO_PASSWORD``)
PASSWORD = "scalegate-demo"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: when this process loaded the fixtures: screenshots newer than this are this run's
_LOADED_AT = time.time()


def chromium_path() -> str | None:
    """Debian's Chromium: ``SCALEGATE_CHROMIUM`` if set, else ``chromium`` or
    ``chromium-browser`` on PATH."""
    explicit = os.environ.get("SCALEGATE_CHROMIUM")
    if explicit:
        return explicit
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class LiveServer:
    url: str
    db: str
    store: Any
    log: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``scalegate``'s app under Uvicorn on a free loopback port, over the demo data."""
    import uvicorn

    from scalegate.api import create_app
    from scalegate.services import demo
    from scalegate.services.workspace import open_store
    from scalegate.settings import Settings

    folder = tmp_path_factory.mktemp("web")
    db = str(folder / "demo.db")
    store = open_store(db)
    demo.build(store)
    assert demo.DEMO_PASSWORD == PASSWORD

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(Settings(db=db), store=store)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    )
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # shown by the fixture if the server dies
            errors.append(exc)

    thread = threading.Thread(target=run, name="scalegate-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if errors or not thread.is_alive():
            pytest.fail(f"the live server died on start: {errors!r}")
        if time.monotonic() > deadline:
            pytest.fail("the live server did not start within 30 s")
        time.sleep(0.05)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", db=db, store=store)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        store.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(
                "no Chromium: install Debian's chromium package (scripts/test.sh does) or "
                "set SCALEGATE_CHROMIUM"
            )
        pytest.skip("no Chromium found (set SCALEGATE_CHROMIUM or install 'chromium')")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (no cookies) at 1366x768. Any console error or uncaught
    page error fails the test."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 768})
    tab = context.new_page()
    problems: list[str] = []
    tab.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None
        ),
    )
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    yield tab
    context.close()
    assert not problems, "\n".join(problems)


def login(page: Any, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    """Log in through the login form and wait for the target page."""
    page.goto(f"/login?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under build/screenshots/ and print where."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the screenshots this run saved (also under xdist, where workers' prints vanish)."""
    if not SCREENSHOTS.is_dir():
        return
    shots = sorted(p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= _LOADED_AT)
    if shots:
        terminalreporter.section("screenshots")
        for path in shots:
            terminalreporter.line(str(path))
