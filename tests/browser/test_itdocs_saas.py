"""IT Docs in a real browser: the SaaS Protection article's Procedure, from + New to a card.

A Manager logs in with the hub, opens the Account menu's Integrations, the green + New, SaaS
Protection (its icon and name), enters the demo partner's REST API key pair, Connects (the keys are
checked in the background against the server's own /api/v1: a wrong secret shows "Keys refused"
without a reload, and Change API keys puts it right), turns on "Sync SaaS Protection backup
information" with "Accept All Automatically", chooses Actions > Start Manual Sync (on the server's
background sync queue: the status turns OK in place), and sees the SaaS Protection card with the
Active seat count on the organization whose name the partner's customer reports.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from chalicelib.auth.hub import totp
from chalicelib.itdocs import accounts, organizations
from chalicelib.itdocs.policy import MANAGER
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.browser.actions_menu import choose_action
from tests.browser.conftest import assert_accessible
from tests.conftest import unique
from tests.itdocs.helpers import setup_admin
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.browser



def test_the_procedure_from_new_to_a_card_on_an_organization(page: Page, hub_db: Runtime) -> None:
    hub = make_hub_account(company_name=unique("Docs MSP"), username="mia")
    account = accounts.create_account(hub_db, hub.company.name,
                                      hub_issuer=hub_db.settings.hub_issuer,
                                      hub_company_id=hub.company.company_id,
                                      hub_company_name=hub.company.name)
    # Linked to her hub user (the hub vouches for no email, so an email alone links nobody).
    accounts.create_user(hub_db, account.account_id, email=hub.user.email, name="Mia Manager",
                         role=MANAGER, hub_issuer=hub_db.settings.hub_issuer,
                         hub_subject=hub.user.user_id)
    partner = make_partner(unique("Partner"), customers=((catalog.OFFICE365, 9, True),))
    org_name = partner.organizations[0].name
    organizations.create(hub_db, setup_admin(account.account_id), org_name)
    active = sum(1 for seat in partner.seats[partner.customers[0].saas_customer_id]
                 if seat.seat_state == catalog.ACTIVE)
    not_active = 9 - active

    # Log In with Hub: the hub's three steps, then back to IT Docs.
    page.goto("/itdocs/login")
    page.get_by_role("link", name="Log In with Hub").click()
    assert hub.totp_secret is not None
    page.get_by_label("Username").fill(hub.user.username)
    page.get_by_label("Company Name").fill(hub.company.name)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password").fill(hub.password)
    page.get_by_role("button", name="Log In").click()
    page.get_by_label("2FA token").fill(totp.code_at(hub.totp_secret, dt.datetime.now(dt.UTC)))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Organizations")).to_be_visible()

    # Account > Integrations, + New, SaaS Protection, the keys, Connect.
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_text("Account", exact=True).click()
    navigation.get_by_role("link", name="Integrations").click()
    new = page.get_by_role("link", name="+ New")
    expect(new).to_have_css("background-color", "rgb(27, 127, 59)")  # the article's green button
    new.click()
    assert_accessible(page)
    expect(page.get_by_role("link", name="SaaS Protection").locator("svg")).to_be_visible()
    page.get_by_role("link", name="SaaS Protection").click()
    page.get_by_label("SaaS Protection API Public Key").fill(partner.public_key)
    page.get_by_label("SaaS Protection API Secret Key").fill("a wrong secret")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status")).to_contain_text("Connected")
    expect(page.locator(".sync-status [data-part=status]")).to_have_text("Error")
    expect(page.locator(".sync-status [data-part=reason]")).to_contain_text("Keys refused")
    page.get_by_role("link", name="Change API keys").click()
    page.get_by_label("SaaS Protection API Secret Key").fill(partner.secret)
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the new API keys")
    expect(page.locator(".sync-status [data-part=reason]")).to_contain_text(
        "Keys accepted: SaaS Protection lists 1 customer.")

    # Sync SaaS Protection backup information, Accept All Automatically.
    choose_action(page, "Edit")
    page.get_by_label("Sync SaaS Protection backup information").check()
    page.get_by_label("Accept All Automatically").check()
    page.get_by_role("button", name="Save").click()

    # Actions > Start Manual Sync; a second one is refused with the time it becomes available.
    choose_action(page, "Start Manual Sync")
    expect(page.get_by_role("status")).to_contain_text("Manual sync started")
    expect(page.locator("td .status-ok")).to_have_text("OK")
    choose_action(page, "Start Manual Sync")
    expect(page.get_by_role("alert")).to_contain_text("available at")

    # The organization's home page shows the card: Active seats only.
    page.get_by_role("link", name="Organizations").first.click()
    page.get_by_role("link", name=org_name).click()
    card = page.locator("#saas-card")
    expect(card.get_by_role("heading", name="SaaS Protection")).to_be_visible()
    expect(card.locator("#protected-seats")).to_have_text(str(active))
    expect(card).to_contain_text("Microsoft 365")
    expect(card).to_contain_text("Archived, Paused and Unprotected seats are not counted")
    if not_active:
        expect(card).to_contain_text("Not counted")
