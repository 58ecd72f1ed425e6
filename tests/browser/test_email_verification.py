"""Email verification in a real browser, with the mail read from the SMTP server the tests
started: a Master changes a user's address; the old verified address stays until the link mailed
to the new one is confirmed; a deactivated user's link confirms nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.storage.hub import users as store
from devstack.mail_catcher import MailCatcher
from tests.auth.hub.helpers import make_account
from tests.browser.conftest import BrowserStack
from tests.browser.test_hub_login import log_in
from tests.conftest import unique

pytestmark = pytest.mark.browser
SUBJECT = "Confirm your email address for the Hub"


def _change_address(page: Page, username: str, address: str) -> None:
    page.goto("/hub/admin/users")
    page.get_by_label(f"New address for {username}").fill(address)
    page.get_by_role("button", name=f"Change address of {username}").click()


def _mailed_link(catcher: MailCatcher, address: str, seen: int) -> str:
    mail = catcher.inbox.wait_for(address, SUBJECT, timeout=20, after=seen)
    (link,) = [found for found in mail.links() if "/hub/verify-email/" in found]
    return link


def test_a_changed_address_is_verified_by_its_link_and_the_old_one_stays_until_then(
        page: Page, browser: Browser, browser_stack: BrowserStack, hub_db,
        session_mail_catcher: MailCatcher):
    master = make_account(company_name=unique("Acme MSP"))
    member = make_account(company=master.company, username="bob", role="User")
    store.update_user(member.user.user_id, email_verified=True)
    new_address = f"{unique('bob').replace(' ', '-')}@acme-msp.example"
    seen = len(session_mail_catcher.inbox.mails())
    log_in(page, master)
    _change_address(page, "bob", new_address)
    row = page.locator("tr[data-username='bob']")
    expect(row).to_contain_text(f"{new_address}: waiting for verification")
    expect(row.locator("[data-email='verified']")).to_be_visible()  # the old address, still
    assert store.get_user(member.user.user_id).email == "bob@example.com"

    link = _mailed_link(session_mail_catcher, new_address, seen)
    assert link.startswith(browser_stack.base_url)
    visitor = browser.new_context(base_url=browser_stack.base_url).new_page()
    visitor.goto(link)  # opening the link (as a mail scanner would) confirms nothing yet
    expect(visitor.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    assert store.get_user(member.user.user_id).pending_email == new_address
    visitor.get_by_role("button", name="Confirm").click()
    expect(visitor.get_by_role("heading", name="Email address confirmed")).to_be_visible()

    page.goto("/hub/admin/users")
    expect(row.locator(".email")).to_have_text(new_address)
    expect(row.locator("[data-email='verified']")).to_be_visible()
    expect(row).not_to_contain_text("waiting for verification")
    visitor.goto(link)
    expect(visitor.get_by_role("alert")).to_be_visible()
    expect(visitor.get_by_role("button", name="Confirm")).to_have_count(0)


def test_the_link_of_a_user_deactivated_since_confirms_nothing(
        page: Page, browser: Browser, browser_stack: BrowserStack, hub_db,
        session_mail_catcher: MailCatcher):
    master = make_account(company_name=unique("Acme MSP"))
    member = make_account(company=master.company, username="carl", role="User")
    new_address = f"{unique('carl').replace(' ', '-')}@acme-msp.example"
    seen = len(session_mail_catcher.inbox.mails())
    log_in(page, master)
    _change_address(page, "carl", new_address)
    link = _mailed_link(session_mail_catcher, new_address, seen)
    store.update_user(member.user.user_id, status="deactivated")

    visitor = browser.new_context(base_url=browser_stack.base_url).new_page()
    visitor.goto(link)
    expect(visitor.get_by_role("alert")).to_be_visible()
    expect(visitor.get_by_role("button", name="Confirm")).to_have_count(0)
    assert not store.get_user(member.user.user_id).email_verified
