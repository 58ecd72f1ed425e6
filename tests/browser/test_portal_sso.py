"""The Partner Portal's Log In with Hub in a real browser, walking the seed's procedures in order.

1. Enable Login with Hub as a portal Security Admin, completed by a hub Master (the portal shows
   whom the hub signed in, and links on Continue).
2. Log In with Hub (the hub session means no typing).
3. Require Log In with Hub and add a user exception; a plain user is refused the password login.
4. Enable Automatic User Creation and log in as a new hub user, who gets a portal account.
5. (Deactivating that user in the hub and seeing the portal session end is the lifecycle
   walk-through in the hub-link area's browser tests.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.auth.hub import totp
from chalicelib.portal import companies
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import users as portal_store
from tests.auth.hub.helpers import Account, make_account
from tests.conftest import unique
from tests.portal.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


def hub_three_steps(page: Page, account: Account) -> None:
    """The hub's login as a person types it (the page is already on the hub's login)."""
    assert account.totp_secret is not None
    page.get_by_label("Username").fill(account.user.username)
    page.get_by_label("Company Name").fill(account.company.name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log In").click()
    page.get_by_label("2FA token").fill(totp.code_at(account.totp_secret, dt.datetime.now(dt.UTC)))
    page.get_by_role("button", name="Verify").click()


def confirm_hub_user(page: Page, account: Account) -> None:
    """Enable Login with Hub's last step: the portal shows whom the hub signed in; Continue."""
    expect(page.locator("#hub-signed-in-as")).to_contain_text(account.user.name)
    expect(page.locator("#hub-signed-in-as")).to_contain_text(account.company.name)
    page.get_by_role("button", name="Continue").click()


def link_your_accounts(page: Page, password: str) -> None:
    """On the "Link your accounts" page: the portal user's own password, once."""
    expect(page.get_by_role("heading", name="Link your accounts")).to_be_visible()
    page.get_by_label("Portal password").fill(password)
    page.get_by_role("button", name="Link accounts").click()


def portal_password_login(page: Page, identifier: str) -> None:
    page.goto("/portal/login")
    page.get_by_label("Email or username").fill(identifier)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log In", exact=True).click()


def test_enable_log_in_require_with_an_exception_and_create_a_user_just_in_time(
        page: Page, browser: Browser, browser_stack, hub_db):
    hub = make_account(company_name=unique("Walk Hub"), username="sam")
    partner = companies.create_company(hub_db, unique("Walk Partner"))
    admin = make_user(partner, username=f"sam{partner.company_id[:8]}",
                      email=hub.user.email, role=SECURITY_ADMIN)
    tess = make_user(partner, username=f"tess{partner.company_id[:8]}", role=TECHNICIAN)
    tom = make_user(partner, username=f"tom{partner.company_id[:8]}", role=TECHNICIAN)

    # 1. Enable Login with Hub: Security Admin in the portal, hub Master at the hub.
    portal_password_login(page, admin.username)
    page.goto("/portal/admin/security")
    expect(page.get_by_role("heading", name="Single Sign-on (SSO)")).to_be_visible()
    page.get_by_role("button", name="Enable Login with Hub").click()
    expect(page).to_have_url(re.compile(r"/hub/login"))
    hub_three_steps(page, hub)
    confirm_hub_user(page, hub)
    expect(page).to_have_url(re.compile(r"/portal/admin/security"))
    expect(page.locator("#hub-link")).to_contain_text(hub.company.name)

    # 2. Log In with Hub: the hub session answers; the first time the Security Admin proves the
    #    portal user is theirs with its password (Link your accounts), afterwards nothing is typed.
    page.get_by_role("button", name="Log out").click()
    page.goto("/portal/login")
    page.get_by_role("link", name="Log In with Hub").click()
    link_your_accounts(page, PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("banner")).to_contain_text(admin.name)
    page.get_by_role("button", name="Log out").click()
    page.goto("/portal/login")
    page.get_by_role("link", name="Log In with Hub").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("banner")).to_contain_text(admin.name)

    # 3. Require Log In with Hub (User Exceptions appear at once), and give tess an exception.
    page.goto("/portal/admin/security")
    page.get_by_label("Require Log In with Hub").check()
    expect(page.get_by_role("heading", name="User Exceptions")).to_be_visible()
    row = page.locator(f'tr[data-username="{tess.username}"]')
    expect(row).to_contain_text("No")
    row.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator(f'tr[data-username="{tess.username}"]')).to_contain_text("Yes")
    expect(page.locator("#security-audit")).to_contain_text("Added user exception")
    expect(page.get_by_label("Require Log In with Hub")).to_be_checked()  # Add kept the toggle

    # 4. Automatic User Creation with a low default role.
    page.get_by_label("Enable Automatic User Creation").check()
    page.get_by_label("Select default role for JIT implementation").select_option(TECHNICIAN)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#security-audit")).to_contain_text("default role Technician")

    other = browser.new_context(base_url=browser_stack.base_url)
    other.set_default_timeout(15_000)
    tab = other.new_page()
    try:
        portal_password_login(tab, tom.username)  # a plain user must use the hub now
        expect(tab.get_by_role("alert")).to_contain_text("requires Log In with Hub")
        portal_password_login(tab, tess.username)  # the exception keeps the password login
        expect(tab).to_have_url(re.compile(r"/portal/$"))
        tab.get_by_role("button", name="Log out").click()

        newcomer = make_account(username=unique("nina").replace(" ", ""), role="User",
                                company=hub.company)
        tab.goto("/portal/login")
        tab.get_by_role("link", name="Log In with Hub").click()
        hub_three_steps(tab, newcomer)
        expect(tab).to_have_url(re.compile(r"/portal/$"))
        expect(tab.get_by_role("banner")).to_contain_text(TECHNICIAN)
        created = [u for u in portal_store.users_of_company(partner.company_id)
                   if u.email == newcomer.user.email]
        assert len(created) == 1 and created[0].role == TECHNICIAN
    finally:
        other.close()
