"""Change password in a real browser, with the alert read from the SMTP server the tests started:
the account page refuses a policy-breaking password, changes it with the current one, keeps this
session, ends the one signed in elsewhere, mails the user, and the new password signs in."""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from chalicelib import runtime
from chalicelib.auth.hub import sessions
from devstack.mail_catcher import MailCatcher
from tests.auth.hub.helpers import Account, make_account
from tests.browser.conftest import BrowserStack
from tests.browser.test_hub_login import code_now, enter_username_and_password
from tests.conftest import unique

pytestmark = pytest.mark.browser
NEW_PASSWORD = "amber-lighthouse-meadow-59"


def signed_in_context(browser: Browser, stack: BrowserStack, rt: runtime.Runtime,
                      account: Account) -> BrowserContext:
    """A browser already signed in to the hub (the session a login's last step makes)."""
    token, _ = sessions.start(rt, account.user)
    context = browser.new_context(base_url=stack.base_url)
    context.set_default_timeout(15_000)
    # The hub's own cookie path, so the login's new cookie replaces it after a logout.
    context.add_cookies([{"name": "lh_hub_session", "value": token, "path": "/hub",
                          "domain": urlsplit(stack.base_url).hostname or ""}])
    return context


def test_the_password_is_changed_on_the_account_page_mailed_about_and_signs_in(
        browser: Browser, browser_stack: BrowserStack, hub_db,
        session_mail_catcher: MailCatcher):
    account = make_account(company_name=unique("Acme MSP"))
    here = signed_in_context(browser, browser_stack, hub_db, account)
    elsewhere = signed_in_context(browser, browser_stack, hub_db, account)
    page, other_tab = here.new_page(), elsewhere.new_page()
    other_tab.goto("/hub/")
    expect(other_tab.get_by_role("heading", name="My Modules")).to_be_visible()
    seen = len(session_mail_catcher.inbox.mails())

    page.goto("/hub/")
    page.get_by_role("link", name="My account").click()
    change_password(page, account.password, "password123")
    expect(page.get_by_role("alert")).to_contain_text("too common")
    change_password(page, account.password, NEW_PASSWORD)
    expect(page.get_by_role("status")).to_contain_text("Password changed")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()

    mail = session_mail_catcher.inbox.wait_for(account.user.email, "Your Hub password was changed",
                                               timeout=20, after=seen)
    assert "The password of your Hub account was changed." in mail.text
    assert "If this wasn't you, contact your Master." in mail.text
    assert "From address: 127.0.0.1" in mail.text and mail.links() == []

    other_tab.goto("/hub/")
    expect(other_tab).to_have_url(re.compile(r"/hub/login"))
    elsewhere.close()

    page.get_by_role("button", name="Log out").click()
    enter_username_and_password(page, replace(account, password=NEW_PASSWORD))
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    assert account.totp_secret is not None
    page.get_by_label("2FA token").fill(code_now(account.totp_secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()
    here.close()


def change_password(page: Page, current: str, new: str) -> None:
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("New password again").fill(new)
    page.get_by_role("button", name="Change password").click()
