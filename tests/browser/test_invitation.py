"""Invitation in a real browser, with the mail read from the SMTP server the tests started: a
Master invites a user without typing a password; the invitee opens the mailed link, sets a
password (a refused one first), enrolls TOTP and lands on My Modules, then logs in again; the link
does not work twice."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.storage.hub import users as store
from devstack.mail_catcher import MailCatcher
from tests.auth.hub.helpers import Account, make_account
from tests.browser.conftest import BrowserStack
from tests.browser.test_hub_login import code_now, enter_username_and_password, log_in
from tests.conftest import unique

pytestmark = pytest.mark.browser
PASSWORD = "violet-canyon-harbour-37"


def wait_for_next_totp_step() -> None:
    """A TOTP step is accepted once: the next login waits for a fresh 30-second step."""
    time.sleep(30.5 - time.time() % 30)


def test_a_master_invites_and_the_invitee_sets_a_password_enrolls_and_logs_in(
        page: Page, browser: Browser, browser_stack: BrowserStack, hub_db,
        session_mail_catcher: MailCatcher):
    master = make_account(company_name=unique("Acme MSP"))
    address = f"{unique('dana').replace(' ', '-')}@acme-msp.example"
    seen = len(session_mail_catcher.inbox.mails())
    log_in(page, master)
    page.goto("/hub/admin/users")
    page.get_by_label("Username").fill("dana")
    page.get_by_label("Email", exact=True).fill(address)
    page.get_by_label("Name", exact=True).fill("Dana Doe")
    page.get_by_role("button", name="Create user").click()
    row = page.locator("tr[data-username='dana']")
    expect(row.locator("td").nth(2)).to_contain_text("Invited")
    expect(row.locator("td").nth(2)).to_contain_text("link expires")
    expect(row).to_contain_text("not verified")

    mail = session_mail_catcher.inbox.wait_for(address, "You are invited to the Hub",
                                               timeout=20, after=seen)
    (link,) = [found for found in mail.links() if "/hub/invitation/" in found]
    assert link.startswith(browser_stack.base_url)

    invitee = browser.new_context(base_url=browser_stack.base_url).new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Welcome to the Hub")).to_be_visible()
    invitee.get_by_label("New password", exact=True).fill("password123")
    invitee.get_by_label("New password again").fill("password123")
    invitee.get_by_role("button", name="Set password").click()
    expect(invitee.get_by_role("alert")).to_contain_text("too common")
    invitee.get_by_label("New password", exact=True).fill(PASSWORD)
    invitee.get_by_label("New password again").fill(PASSWORD)
    invitee.get_by_role("button", name="Set password").click()

    expect(invitee.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    uri = invitee.locator("#otpauth-uri").text_content() or ""
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    invitee.get_by_label("2FA token").fill(code_now(secret))
    invitee.get_by_role("button", name="Verify").click()
    expect(invitee.get_by_role("heading", name="My Modules")).to_be_visible()

    dana = store.user_by_login(f"{master.company.name.lower()}/dana")
    assert dana is not None and dana.status == "active" and dana.email_verified
    page.goto("/hub/admin/users")
    expect(row).to_contain_text("verified")
    expect(row).not_to_contain_text("not verified")

    invitee.goto(link)
    expect(invitee.get_by_role("alert")).to_contain_text("already used or has expired")
    expect(invitee.get_by_label("New password", exact=True)).to_have_count(0)

    wait_for_next_totp_step()
    again = browser.new_context(base_url=browser_stack.base_url).new_page()
    enter_username_and_password(again, Account(master.company, dana, PASSWORD, secret))
    again.get_by_label("2FA token").fill(code_now(secret))
    again.get_by_role("button", name="Verify").click()
    expect(again.get_by_role("heading", name="My Modules")).to_be_visible()
