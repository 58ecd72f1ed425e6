"""The SaaS Protection in IT Docs article, followed by its words at desktop and phone sizes (one
screenshot per step under test-output/walkthroughs/saas-protection/<size>/).

Procedure
 1. Log in to IT Docs (Log In with Hub) and navigate to Account > Integrations; click the green
    + New button, then the SaaS Protection icon.
 2. Enter the REST API Public and Secret Keys into their fields and click Connect.
 3. Select Sync SaaS Protection backup information.
 4. Choose Leave for Review for the suggested matches, and Save.
Organization Matching (after a sync has discovered the customers)
 5. Actions > Start Manual Sync: the Status column shows Syncing..., then OK.
 6. From the Account Integrations screen, Actions > Matching.
 7. In the Unmatched tab: Accept Suggested Match; Match To for a customer with no suggestion;
    Create Organization for one that has no organization yet.
 8. A match is wrong: Actions > Change Match and select a different organization.
 9. In the Integrations page the sync is queued again; manual sync is restricted to once every
    6 hours, so Actions > Start Manual Sync says when it is available.
10. The organization's home page shows the SaaS Protection card (active seats only).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chalicelib.itdocs import accounts, organizations
from chalicelib.itdocs.policy import MANAGER
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.browser.actions_menu import choose_action
from tests.browser.sign_in_steps import hub_three_steps
from tests.browser.walkthrough import SIZES, Size, Steps, choose
from tests.conftest import unique
from tests.itdocs.helpers import setup_admin
from tests.portal.helpers import make_partner
from tests.sync.matching_helpers import suffix

pytestmark = pytest.mark.browser

CUSTOMERS = ((catalog.OFFICE365, 3, True), (catalog.GOOGLE_WORKSPACE, 2, True),
             (catalog.OFFICE365, 2, True), (catalog.OFFICE365, 2, True))


@pytest.mark.parametrize("size", SIZES, ids=[s.name for s in SIZES])
def test_saas_protection_article_step_by_step(page: Page, hub_db: Runtime, size: Size) -> None:
    hub = make_hub_account(company_name=unique("Docs MSP"), username="mia")
    account = accounts.create_account(hub_db, hub.company.name,
                                      hub_issuer=hub_db.settings.hub_issuer,
                                      hub_company_id=hub.company.company_id,
                                      hub_company_name=hub.company.name)
    accounts.create_user(hub_db, account.account_id, email=hub.user.email, name="Mia Manager",
                         role=MANAGER, hub_issuer=hub_db.settings.hub_issuer,
                         hub_subject=hub.user.user_id)
    partner = make_partner(unique("Partner"), customers=CUSTOMERS)
    exact, near, _, _ = (org.name for org in partner.organizations)
    exact_id, near_id, lone_id, new_id = (str(c.saas_customer_id) for c in partner.customers)
    tag = suffix()
    admin = setup_admin(account.account_id)
    for name in (exact, near.replace(", Inc.", " Inc"), f"Contoso {tag}", f"Fabrikam {tag}"):
        organizations.create(hub_db, admin, name)
    active = sum(1 for seat in partner.seats[partner.customers[0].saas_customer_id]
                 if seat.seat_state == catalog.ACTIVE)
    page.set_viewport_size({"width": size.width, "height": size.height})
    steps = Steps.of(page, "saas-protection", size)

    # 1. Log in to IT Docs, Account > Integrations, the green + New, the SaaS Protection icon.
    page.goto("/itdocs/login")
    page.get_by_role("link", name="Log In with Hub").click()
    hub_three_steps(page, hub)
    expect(page.get_by_role("heading", name="Organizations")).to_be_visible()
    choose(page, size, "Account", "Integrations")
    new = page.get_by_role("link", name="+ New")
    expect(new).to_have_css("background-color", "rgb(27, 127, 59)")  # the article's green
    steps.shot("account-integrations")
    new.click()
    saas = page.get_by_role("link", name="SaaS Protection")
    expect(saas.locator("svg")).to_be_visible()
    steps.shot("new-integration-icons")
    saas.click()

    # 2. The REST API Public and Secret Keys, then Connect (checked in the background).
    page.get_by_label("SaaS Protection API Public Key").fill(partner.public_key)
    page.get_by_label("SaaS Protection API Secret Key").fill(partner.secret)
    steps.shot("api-keys")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status")).to_contain_text("Connected")
    expect(page.locator(".sync-status [data-part=reason]")).to_contain_text(
        f"Keys accepted: SaaS Protection lists {len(CUSTOMERS)} customers.")

    # 3. Sync SaaS Protection backup information; 4. Leave for Review; Save.
    page.get_by_label("Sync SaaS Protection backup information").check()
    page.get_by_label("Leave for Review").check()
    steps.shot("sync-and-leave-for-review")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the SaaS Protection integration")
    expect(page.get_by_role("main")).to_contain_text("Leave for Review")

    # 5. Actions > Start Manual Sync: Syncing..., then OK in the Status column.
    status = page.locator(".sync-status [data-part=status]")
    choose_action(page, "Start Manual Sync")
    expect(page.get_by_role("status")).to_contain_text("Manual sync started")
    expect(status).to_have_text("Syncing...")
    steps.shot("syncing")
    expect(status).to_have_text("OK", timeout=30_000)
    steps.shot("sync-ok")

    # 6. Actions > Matching: the Unmatched tab, products by their names.
    choose_action(page, "Matching")
    expect(page.get_by_role("heading", name="SaaS Protection: Matching")).to_be_visible()
    tabs = page.get_by_role("navigation", name="Matching tabs")
    expect(tabs).to_contain_text("Unmatched (3)")
    expect(tabs).to_contain_text("Matched (1)")  # the exact name matched itself
    row = page.locator(f'tr[data-customer-id="{near_id}"]')
    expect(row).to_contain_text("Google Workspace")
    accept = row.get_by_role("button", name="Accept Suggested Match")
    accept.scroll_into_view_if_needed()  # a phone scrolls the table sideways to its Actions
    steps.shot("matching-unmatched")

    # 7a. Accept Suggested Match.
    accept.click()
    expect(page.get_by_role("status")).to_contain_text("Suggested match accepted")
    expect(tabs).to_contain_text("Matched (2)")
    # 7b. Another organization than any suggestion: Match To, searching the organizations.
    page.locator(f'tr[data-customer-id="{lone_id}"]').get_by_role("link", name="Match To").click()
    page.get_by_label("Search IT Docs organizations by name").fill("contoso")
    page.get_by_role("button", name="Search", exact=True).click()
    steps.shot("match-to-search")
    page.get_by_role("button", name=f"Match to Contoso {tag}").click()
    expect(page.get_by_role("status")).to_contain_text("Customer matched")
    # 7c. No organization yet: Create Organization (the page warns of duplicates first).
    page.locator(f'tr[data-customer-id="{new_id}"]').get_by_role(
        "link", name="Create Organization").click()
    expect(page.get_by_role("heading", name="Create Organization for")).to_be_visible()
    steps.shot("create-organization")
    page.get_by_role("button", name=re.compile(r"^Create Organization")).click()
    expect(page.get_by_role("status")).to_contain_text("Organization created and matched")
    expect(tabs).to_contain_text("Unmatched (0)")
    steps.shot("all-matched")

    # 8. Matched tab: Actions > Change Match to a different organization.
    tabs.get_by_role("link", name=re.compile(r"^Matched")).click()
    choose_action(page.locator(f'tr[data-customer-id="{lone_id}"]'), "Change Match")
    page.get_by_label("Search IT Docs organizations by name").fill("fabrikam")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=f"Match to Fabrikam {tag}").click()
    expect(page.get_by_role("status")).to_contain_text("Match changed")
    expect(page.locator(f'tr[data-customer-id="{lone_id}"]')).to_contain_text(f"Fabrikam {tag}")
    steps.shot("match-changed")

    # 9. The Integrations page: the sync is queued; a second manual sync within 6 hours is not.
    choose(page, size, "Account", "Integrations")
    expect(status).to_have_text("Queued")
    choose_action(page, "Start Manual Sync")
    expect(page.get_by_role("alert")).to_contain_text("available at")
    steps.shot("queued-manual-sync-later")

    # 10. The organization's home page: the SaaS Protection card counts Active seats only.
    page.goto("/itdocs/organizations")
    page.get_by_role("link", name=exact).click()
    card = page.locator("#saas-card")
    expect(card.get_by_role("heading", name="SaaS Protection")).to_be_visible()
    expect(card.locator("#protected-seats")).to_have_text(str(active))
    expect(card).to_contain_text("Microsoft 365")
    expect(card).to_contain_text("Archived, Paused and Unprotected seats are not counted")
    steps.shot("organization-card")
