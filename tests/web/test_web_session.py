"""Logging in and out of the dashboard in Chromium."""

from __future__ import annotations

from typing import Any

from web_support import PASSWORD, login, screenshot


def test_login_opens_the_portfolio_and_logout_ends_the_session(page: Any) -> None:
    page.goto("/")
    assert "/login?next=/" in page.url  # not logged in: redirected
    screenshot(page, "login")
    login(page, "ada")
    assert page.get_by_role("heading", name="Portfolio", level=1).is_visible()
    assert page.get_by_text("Ada Lovelace (AI platform lead)").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def test_wrong_password_is_refused_with_one_message(page: Any) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "wrong username or password"
