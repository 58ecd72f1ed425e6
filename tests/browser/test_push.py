"""Push sign-in in a real browser, with the command-line authenticator as the device."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from chalicelib.auth.hub import totp
from tests.auth.hub.helpers import Account, make_account
from tests.conftest import unique

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def device(key_file: Path, *args: str) -> str:
    """Run `python -m devstack.push_device` as a person would; returns what it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "devstack.push_device", "--key-file", str(key_file), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def password_steps(page: Page, account: Account) -> None:
    page.goto("/hub/login")
    page.get_by_label("Username").fill(account.user.username)
    page.get_by_label("Company Name").fill(account.company.name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log In").click()


def enroll_from_the_account_page(page: Page, account: Account, key_file: Path) -> None:
    """Log in with the 2FA token, add the terminal as a push device, log out."""
    assert account.totp_secret
    password_steps(page, account)
    page.get_by_label("2FA token").fill(totp.code_at(account.totp_secret,
                                                     dt.datetime.now(dt.UTC)))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()
    page.goto("/hub/account")
    page.get_by_role("button", name="Add a device").click()
    expect(page.get_by_role("img", name="QR code to add a push device")).to_be_visible()
    payload = page.locator("#push-enroll-payload").text_content() or ""
    printed = device(key_file, "enroll", "--name", "My terminal", payload.strip())
    assert "Enrolled 'My terminal'" in printed
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("table", name="Push devices")).to_contain_text("My terminal")
    page.get_by_role("button", name="Log out").click()


def waiting_request(key_file: Path, number: str) -> str:
    """The id of the request the terminal lists, after checking it offers the browser's number."""
    listed = device(key_file, "pending")
    first_line, _, rest = listed.partition("\n")
    assert number in rest.split("?")[-1], listed
    return first_line.split()[0]


def test_the_terminal_approves_a_login_and_the_browser_moves_on_by_itself(page, hub_db,
                                                                           tmp_path):
    account = make_account(company_name=unique("Push MSP"))
    key_file = tmp_path / "device.json"
    enroll_from_the_account_page(page, account, key_file)

    password_steps(page, account)
    expect(page.get_by_role("heading", name="Approve the sign-in on your device")).to_be_visible()
    number = (page.locator("#push-number").text_content() or "").strip()
    assert number.isdigit()
    listed = device(key_file, "pending")
    assert account.company.name in listed and "HeadlessChrome" in listed
    challenge_id = waiting_request(key_file, number)
    assert "Approved" in device(key_file, "approve", challenge_id[:8], number)

    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()
    page.goto("/hub/account")
    expect(page.get_by_role("table", name="Push devices")).not_to_contain_text("never")


def test_the_terminal_denies_a_login_and_the_browser_says_so(page, hub_db, tmp_path):
    account = make_account(company_name=unique("Push MSP"))
    key_file = tmp_path / "device.json"
    enroll_from_the_account_page(page, account, key_file)

    password_steps(page, account)
    number = (page.locator("#push-number").text_content() or "").strip()
    challenge_id = waiting_request(key_file, number)
    assert "Denied" in device(key_file, "deny", challenge_id)

    expect(page.get_by_role("alert")).to_have_text("The sign-in was denied on your device.")
    expect(page.locator("#push-number")).to_be_hidden()
    expect(page.get_by_role("button", name="Send a new request to my device")).to_be_hidden()
    page.get_by_role("button", name="Use a 2FA token instead").click()
    expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
