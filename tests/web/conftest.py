"""Browser fixtures: a real server over the demo workspace, and Debian's Chromium.

``live_server`` builds the demo portfolio once per test process (each xdist worker has its
own database and port; every demo user's password is :data:`PASSWORD`), and serves
``create_app`` with Uvicorn in a background thread. Chromium is Debian's
(``SCALEGATE_CHROMIUM`` or ``chromium`` on PATH); Playwright never downloads a browser.
Without one the browser tests skip, except under ``CI``, where they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from web_support import LOADED_AT, PASSWORD, SCREENSHOTS, LiveServer, chromium_path


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


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the screenshots this run saved (also under xdist, where workers' prints vanish)."""
    if not SCREENSHOTS.is_dir():
        return
    shots = sorted(p for p in SCREENSHOTS.glob("*.png") if p.stat().st_mtime >= LOADED_AT)
    if shots:
        terminalreporter.section("screenshots")
        for path in shots:
            terminalreporter.line(str(path))
