"""Automatic User Deactivation in a real browser: deactivate a hub user, their portal session ends.

Walks on from the Log In with Hub procedures: a Security Admin enables Login with Hub (a hub Master
finishes it) and Automatic User Deactivation; a technician signs in to the portal with the hub; the
Master deactivates them on the hub's Users page; the technician's next portal page is the login.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.portal import companies
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import users as portal_store
from tests.auth.hub.helpers import make_account
from tests.browser.sign_in_steps import (
    confirm_hub_user,
    hub_three_steps,
    link_your_accounts,
    portal_password_login,
)
from tests.conftest import unique
from tests.portal.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


def test_deactivating_a_hub_user_ends_their_portal_session(
        page: Page, browser: Browser, browser_stack, hub_db):
    hub = make_account(company_name=unique("Deprov Hub"), username="sam")
    technician = make_account(company=hub.company, username="tina", role="User",
                              modules=["portal"])
    partner = companies.create_company(hub_db, unique("Deprov Partner"))
    admin = make_user(partner, username=f"sam{partner.company_id[:8]}", email=hub.user.email,
                      role=SECURITY_ADMIN)
    tina = make_user(partner, username=f"tina{partner.company_id[:8]}",
                     email=technician.user.email, role=TECHNICIAN)

    # The Security Admin enables Login with Hub (the hub Master finishes it), then deactivation.
    portal_password_login(page, admin.username)
    page.goto("/portal/admin/security")
    page.get_by_role("button", name="Enable Login with Hub").click()
    hub_three_steps(page, hub)
    confirm_hub_user(page, hub)
    expect(page).to_have_url(re.compile(r"/portal/admin/security"))
    page.get_by_label("Enable Automatic User Deactivation").check()
    page.locator("#auto-deactivate").locator("xpath=ancestor::form").get_by_role(
        "button", name="Save").click()
    expect(page.get_by_label("Enable Automatic User Deactivation")).to_be_checked()

    # The technician signs in to the portal with the hub, in their own browser.
    other = browser.new_context(base_url=browser_stack.base_url)
    other.set_default_timeout(15_000)
    tab = other.new_page()
    try:
        tab.goto("/portal/login")
        tab.get_by_role("link", name="Log In with Hub").click()
        hub_three_steps(tab, technician)
        link_your_accounts(tab, PASSWORD)  # the first time: the portal password, once
        expect(tab).to_have_url(re.compile(r"/portal/$"))
        expect(tab.get_by_role("banner")).to_contain_text(tina.name)

        # The hub Master deactivates the technician on the hub's Users page.
        page.goto("/hub/admin/users")
        row = page.locator("tr[data-username='tina']")
        row.get_by_role("button", name="Deactivate").click()
        expect(row.locator("td").nth(2)).to_have_text("deactivated")

        # The technician's next portal page is the login page; the account is deactivated.
        tab.goto("/portal/organizations")
        expect(tab).to_have_url(re.compile(r"/portal/login"))
        expect(tab.locator("#session-ended")).to_have_text(
            "Your session was ended. Please log in again.")
        assert portal_store.get_user(tina.user_id).status == "deactivated"
    finally:
        other.close()
