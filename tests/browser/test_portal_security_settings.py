"""Admin > Security Settings in Chromium, by the Unified Login article's words, step by step.

1. Log into the Partner Portal and navigate to Admin > Security Settings.
2. Go to the Single Sign-on (SSO) section of the page that shows the Hub logo and make sure that
   Hub SSO is enabled.
3. In the Require Log In with Hub section, turn on the Require Log In with Hub toggle.
4. Under User Exceptions (this section appears only after you turn on the toggle): Add (the plus
   icon) and Delete (the dustbin icon).
5. In the Automatic User Creation section, turn on the Enable Automatic User Creation toggle, and
   under Select default role for JIT implementation select the default role.
6. In the Automatic User Deactivation section, turn on the Enable Automatic User Deactivation
   toggle.
7. Click Save.
Then a reload shows every setting kept, and leaving with an unsaved change asks first.
Each step's screenshot is saved under the test's output directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from tests.auth.hub.helpers import make_account
from tests.auth.sso.helpers import link_directly
from tests.browser.test_portal_sso import portal_password_login
from tests.conftest import unique
from tests.portal.helpers import make_user

pytestmark = pytest.mark.browser


class Steps:
    """Numbered screenshots of one walk-through, for a reviewer to look at."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=self.folder / f"{self.count:02d}-{name}.png", full_page=True)


def test_the_articles_steps_then_save_keep_every_setting(page: Page, hub_db, tmp_path: Path):
    hub = make_account(company_name=unique("Article Hub"), username="sam")
    partner = companies.create_company(hub_db, unique("Article Partner"))
    admin = make_user(partner, username=f"sam{partner.company_id[:8]}", role=SECURITY_ADMIN)
    tess = make_user(partner, username=f"tess{partner.company_id[:8]}", role=TECHNICIAN)
    link_directly(partner.company_id, hub.company)
    steps = Steps(page, tmp_path)

    # 1. Log into the Partner Portal and navigate to Admin > Security Settings.
    portal_password_login(page, admin.username)
    main_nav = page.get_by_role("navigation", name="Main")
    main_nav.get_by_text("Admin", exact=True).click()
    main_nav.get_by_role("link", name="Security Settings").click()
    expect(page).to_have_url(re.compile(r"/portal/admin/security$"))
    steps.shot("security-settings")

    # 2. The Single Sign-on (SSO) section shows the Hub logo; Hub SSO is enabled.
    sso = page.get_by_role("heading", name="Single Sign-on (SSO)")
    expect(sso).to_be_visible()
    expect(sso.get_by_role("img", name="Hub")).to_be_visible()
    expect(page.locator("#hub-link")).to_contain_text("enabled")

    # 3. Turn on the Require Log In with Hub toggle: User Exceptions appear at once.
    exceptions = page.get_by_role("heading", name="User Exceptions")
    expect(exceptions).to_be_hidden()
    page.get_by_label("Require Log In with Hub").check()
    expect(exceptions).to_be_visible()
    row = page.locator(f'tr[data-username="{tess.username}"]')
    expect(row.get_by_role("button", name="Add", exact=True)).to_be_visible()
    expect(page.locator(f'tr[data-username="{admin.username}"]')).to_contain_text(
        "always exempt")
    expect(page.locator(f'tr[data-username="{admin.username}"]').get_by_role("button")) \
        .to_have_count(0)
    steps.shot("require-on-user-exceptions")

    # 5. Enable Automatic User Creation, and select the default role for JIT implementation.
    page.get_by_label("Enable Automatic User Creation").check()
    page.get_by_label("Select default role for JIT implementation").select_option(TECHNICIAN)
    # 6. Enable Automatic User Deactivation.
    page.get_by_label("Enable Automatic User Deactivation").check()
    steps.shot("creation-and-deactivation-on")

    # 7. Click Save.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved the Security Settings")
    expect(page.locator(".flash")).to_have_count(1)
    steps.shot("saved")

    # A reload shows every setting kept.
    page.reload()
    expect(page.get_by_label("Require Log In with Hub")).to_be_checked()
    expect(page.get_by_label("Enable Automatic User Creation")).to_be_checked()
    expect(page.get_by_label("Select default role for JIT implementation")).to_have_value(
        TECHNICIAN)
    expect(page.get_by_label("Enable Automatic User Deactivation")).to_be_checked()
    expect(exceptions).to_be_visible()
    audit = page.locator("#security-audit")
    for line in ("Require Log In with Hub", "on, default role Technician",
                 "Automatic User Deactivation"):
        expect(audit).to_contain_text(line)
    stored = security_settings.security_settings(hub_db, partner.company_id)
    assert (stored.require_hub_login, stored.auto_create_users, stored.default_role,
            stored.auto_deactivate_users) == (True, True, TECHNICIAN, True)

    # 4. Add (the plus icon): Exception changes to Yes; Delete (the dustbin icon): back to No.
    row.get_by_role("button", name="Add", exact=True).click()
    expect(row.locator("td").nth(2)).to_have_text("Yes")
    steps.shot("exception-added")
    row.get_by_role("button", name="Delete", exact=True).click()
    expect(row.locator("td").nth(2)).to_have_text("No")
    expect(page.get_by_label("Enable Automatic User Deactivation")).to_be_checked()


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
    Steps(page, tmp_path).shot("unsaved-change")
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
