"""Browser test support: the demo password, Debian's Chromium, logging in and screenshots.

Imported by ``tests/web/conftest.py`` and the test modules (never import from ``conftest``:
with several test folders in one run, the name is ambiguous)."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the demo's password for every demo user (``services.demo.DEMO_PASSWORD``)
PASSWORD = "scalegate-demo"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
#: when this process loaded the helpers: screenshots newer than this are this run's
LOADED_AT = time.time()


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
