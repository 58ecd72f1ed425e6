"""Admin > Security Settings in Chromium: leaving with an unsaved change asks first.

The article's steps on this page (the toggles, User Exceptions, one Save that keeps them all) are
walked in test_article_unified_login.py at desktop and phone sizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import SECURITY_ADMIN
from tests.auth.hub.helpers import make_account
from tests.auth.sso.helpers import link_directly
from tests.browser.sign_in_steps import portal_password_login
from tests.conftest import unique
from tests.portal.helpers import make_user

pytestmark = pytest.mark.browser


def wait_until(page: Page, condition: Callable[[], bool], tries: int = 50) -> None:
    """Let the page run (the dialog event arrives on its own) until `condition` holds."""
    for _ in range(tries):
        if condition():
            return
        page.wait_for_timeout(100)
    assert condition()


def test_leaving_with_an_unsaved_change_asks_first(page: Page, hub_db, tmp_path: Path):
    hub = make_account(company_name=unique("Unsaved Hub"), username="sam")
    partner = companies.create_company(hub_db, unique("Unsaved Partner"))
    admin = make_user(partner, username=f"sam{partner.company_id[:8]}", role=SECURITY_ADMIN)
    link_directly(partner.company_id, hub.company)
    asked: list[str] = []
    answer = {"leave": False}

    def on_dialog(dialog: Dialog) -> None:
        asked.append(dialog.type)
        if answer["leave"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", on_dialog)
    portal_password_login(page, admin.username)
    page.goto("/portal/admin/security")
    leave = page.get_by_role("navigation", name="Main").get_by_role("link", name="Organizations")

    leave.click()  # nothing changed: no question
    expect(page).to_have_url(re.compile(r"/portal/organizations"))
    assert asked == []

    page.goto("/portal/admin/security")
    page.get_by_label("Enable Automatic User Deactivation").check()
    expect(page.get_by_text("You have unsaved changes.")).to_be_visible()
    page.screenshot(path=tmp_path / "unsaved-change.png", full_page=True)
    leave.click()  # the browser asks; staying keeps the change on the page
    wait_until(page, lambda: asked == ["beforeunload"])
    expect(page).to_have_url(re.compile(r"/portal/admin/security$"))
    expect(page.get_by_label("Enable Automatic User Deactivation")).to_be_checked()

    answer["leave"] = True
    leave.click()  # leaving anyway: the unsaved change is not saved
    expect(page).to_have_url(re.compile(r"/portal/organizations"))
    assert asked == ["beforeunload", "beforeunload"]
    assert not security_settings.security_settings(hub_db, partner.company_id) \
        .auto_deactivate_users
