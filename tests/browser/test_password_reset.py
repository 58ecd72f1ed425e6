"""Forgot password in a real browser, with the mail read from the SMTP server the tests started:
request a link, open it from the mail, set a password, log in with it (2FA still asked); the
session signed in elsewhere ends, and the link does not work twice."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.auth.hub import sessions
from devstack.mail_catcher import MailCatcher
from tests.auth.hub.helpers import make_account
from tests.browser.conftest import BrowserStack
from tests.browser.test_hub_login import code_now, enter_username_and_password
from tests.conftest import unique

pytestmark = pytest.mark.browser
NEW_PASSWORD = "amber-lighthouse-meadow-58"


def test_a_forgotten_password_is_reset_from_the_mailed_link_and_2fa_is_still_asked(
        page: Page, browser: Browser, browser_stack: BrowserStack, hub_db,
        session_mail_catcher: MailCatcher):
    account = make_account(company_name=unique("Acme MSP"))
    # Signed in on another computer (a session as the login's last step makes it; the code step
    # itself is the one this test's own login uses below).
    token, _ = sessions.start(hub_db, account.user)
    elsewhere = browser.new_context(base_url=browser_stack.base_url)
    elsewhere.add_cookies([{"name": "lh_hub_session", "value": token,
                            "url": browser_stack.base_url}])
    other_tab = elsewhere.new_page()
    other_tab.goto("/hub/")
    expect(other_tab.get_by_role("heading", name="My Modules")).to_be_visible()
    seen = len(session_mail_catcher.inbox.mails())

    page.goto("/hub/login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Company Name").fill(account.company.name)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_label("Company Name")).to_have_value(account.company.name)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("If an account matches, we sent a link")

    mail = session_mail_catcher.inbox.wait_for("alice@example.com", "Reset your Hub password",
                                               timeout=20, after=seen)
    (link,) = [found for found in mail.links() if "/hub/login/reset?token=" in found]
    assert link.startswith(browser_stack.base_url)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill("password123")
    page.get_by_label("New password again").fill("password123")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("alert")).to_contain_text("too common")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Your password was changed")).to_be_visible()

    alert = session_mail_catcher.inbox.wait_for("alice@example.com", "password was changed",
                                                timeout=20, after=seen)
    assert "was changed on" in alert.text

    enter_username_and_password(page, replace(account, password=NEW_PASSWORD))
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    assert account.totp_secret is not None
    page.get_by_label("2FA token").fill(code_now(account.totp_secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()

    other_tab.goto("/hub/")
    expect(other_tab).to_have_url(re.compile(r"/hub/login"))
    elsewhere.close()

    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text("already used or has expired")
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)
