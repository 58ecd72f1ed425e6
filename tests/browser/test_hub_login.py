"""The hub in a real browser: the three-step login, first-login enrollment, user administration."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from chalicelib.auth.hub import totp
from chalicelib.storage.hub import users as store
from tests.auth.hub.helpers import Account, make_account
from tests.conftest import unique

pytestmark = pytest.mark.browser


def code_now(secret: str) -> str:
    return totp.code_at(secret, dt.datetime.now(dt.UTC))


def enter_username_and_password(page: Page, account: Account) -> None:
    """Steps one and two, as a person types them."""
    page.goto("/hub/login")
    page.get_by_label("Username").fill(account.user.username)
    page.get_by_label("Company Name").fill(account.company.name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log In").click()


def log_in(page: Page, account: Account) -> None:
    assert account.totp_secret is not None
    enter_username_and_password(page, account)
    page.get_by_label("2FA token").fill(code_now(account.totp_secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()


def test_three_steps_with_a_code_from_the_enrolled_secret_reach_my_modules(page, hub_db):
    account = make_account(company_name=unique("Acme MSP"))
    enter_username_and_password(page, account)

    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    page.get_by_label("2FA token").fill(code_now(account.totp_secret))
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/hub/$"))
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Alice")


def test_a_user_without_2fa_enrolls_at_first_login_and_lands_on_my_modules(page, hub_db):
    account = make_account(company_name=unique("Acme MSP"), username="carol", role="User",
                           enrolled=False)
    enter_username_and_password(page, account)

    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    uri = page.locator("#otpauth-uri").text_content() or ""
    assert uri.startswith("otpauth://totp/")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    page.get_by_label("2FA token").fill(code_now(secret))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()
    assert store.get_user(account.user.user_id).totp_secret is not None


def test_a_master_creates_a_user_and_deactivates_them(page, hub_db):
    account = make_account(company_name=unique("Acme MSP"))
    log_in(page, account)

    page.goto("/hub/admin/users")
    page.get_by_label("Username").fill("dave")
    page.get_by_label("Email").fill("dave@acme-msp.example")
    page.get_by_label("Name", exact=True).fill("Dave Dawson")
    page.get_by_label("Temporary password").fill("dave-temporary-pass")
    page.get_by_label("Role").select_option("User")
    page.get_by_role("button", name="Create user").click()

    row = page.locator("tr[data-username='dave']")
    expect(row).to_contain_text("dave@acme-msp.example")
    status = row.locator("td").nth(2)
    expect(status).to_have_text("active")

    row.get_by_role("button", name="Deactivate").click()
    expect(status).to_have_text("deactivated")
    expect(row.get_by_role("button", name="Reactivate")).to_be_visible()
