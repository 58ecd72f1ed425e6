"""Log In with Hub steps as a person does them in a browser, shared by the browser tests: the
hub's three login steps, confirming whom the hub signed in, "Link your accounts" and the
portal's own password login.

The article's procedures in order (Enable Login with Hub, Log In with Hub, Require Log In with
Hub with a user exception, Automatic User Creation) are walked in test_article_unified_login.py;
deactivating a user in the hub and seeing the portal session end is test_portal_deprovisioning.py.
"""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from chalicelib.auth.hub import totp
from tests.auth.hub.helpers import Account
from tests.portal.helpers import PASSWORD


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
