"""The matching screen in a real browser: every action a Manager takes on backup customers, opened
as the article says (Account Integrations, Actions > Matching; a matched row's Actions > Change
Match), the Actions menu also worked by keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chalicelib.itdocs import organizations, sessions
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.sync import integrations
from tests.browser.actions_menu import choose_action
from tests.browser.conftest import BrowserStack, assert_accessible
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import (
    Tenant,
    customer,
    make_integration,
    make_tenant,
    suffix,
    sync,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def tenant(hub_db: Runtime) -> Tenant:
    tag = suffix()
    made = make_tenant(
        hub_db,
        [f"Contoso {tag}", f"Fabrikam {tag}, Inc.", f"Northwind {tag} Traders", f"Litware {tag}"],
        integration_id="",
    )
    made.integration_id = make_integration(hub_db, made.account_id)
    sync(
        hub_db,
        made,
        [
            customer("1", f"Contoso {tag}"),
            customer("2", f"Fabrikam {tag} Inc"),
            customer("3", f"Tailspin {tag} Toys"),
            customer("4", f"Northwind {tag} Trader"),
            customer("5", f"Litware {tag} LLC"),
            customer("6", f"Wingtip {tag}"),
        ],
    )
    return made


def open_matching(page: Page, rt: Runtime, stack: BrowserStack, tenant: Tenant) -> None:
    token, _ = sessions.start(rt, tenant.manager)
    page.context.add_cookies([{"name": "lh_itdocs_session", "value": token, "url": stack.base_url}])
    page.goto("/itdocs/account/integrations")
    page.locator("details.actions-menu").get_by_text("Actions", exact=True).click()
    assert_accessible(page)  # the open menu too
    page.get_by_role("link", name="Matching", exact=True).click()
    expect(page.get_by_role("heading", name="SaaS Protection: Matching")).to_be_visible()


def customer_row(page: Page, customer_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'tr[data-customer-id="{customer_id}"]')


def test_each_matching_action_in_the_browser(
    page: Page, hub_db: Runtime, browser_stack: BrowserStack, tenant: Tenant
) -> None:
    open_matching(page, hub_db, browser_stack, tenant)
    tabs = page.get_by_role("navigation", name="Matching tabs")
    expect(tabs).to_contain_text("Unmatched (5)")
    expect(tabs).to_contain_text("Matched (1)")
    expect(customer_row(page, "2").locator("td[data-score]")).to_have_text("100")
    expect(page.locator("#score-help")).to_contain_text("suggested only at 90 or more")

    # Accept Suggested Match
    customer_row(page, "2").get_by_role("button", name="Accept Suggested Match").click()
    expect(page.get_by_role("status")).to_contain_text("Suggested match accepted")
    expect(page.get_by_role("status")).to_contain_text("A sync is queued")
    expect(tabs).to_contain_text("Matched (2)")

    # Bulk accept of the selected suggestions
    customer_row(page, "4").get_by_role("checkbox").check()
    customer_row(page, "5").get_by_role("checkbox").check()
    page.get_by_role("button", name="Accept Selected Suggestions").click()
    expect(tabs).to_contain_text("Matched (4)")
    expect(tabs).to_contain_text("Unmatched (2)")

    # Search box
    page.get_by_label("Search unmatched customers").fill("wingtip")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(customer_row(page, "6")).to_be_visible()
    expect(customer_row(page, "3")).to_have_count(0)

    # Ignore, then Un-ignore
    customer_row(page, "6").get_by_role("button", name="Ignore").click()
    expect(page.get_by_role("status")).to_contain_text("Customer ignored")
    tabs.get_by_role("link", name="Ignored").click()
    customer_row(page, "6").get_by_role("button", name="Un-ignore").click()
    expect(page.get_by_role("status")).to_contain_text("Customer un-ignored")

    # Create Organization: similar names are listed first; the new one is matched
    page.goto(f"/itdocs/integrations/{tenant.integration_id}/matching")
    customer_row(page, "6").get_by_role("link", name="Create Organization").click()
    expect(page.get_by_role("heading", name="Create Organization for")).to_be_visible()
    page.get_by_role("button", name="Create Organization").click()
    expect(page.get_by_role("status")).to_contain_text("Organization created and matched")

    # Match To: search the organizations and pick one
    page.goto(f"/itdocs/integrations/{tenant.integration_id}/matching")
    customer_row(page, "3").get_by_role("link", name="Match To").click()
    litware = next(name for name in tenant.organizations if name.startswith("Litware"))
    page.get_by_label("Search IT Docs organizations by name").fill("litware")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=f"Match to {litware}").click()
    expect(page.get_by_role("status")).to_contain_text("Customer matched")

    # Actions > Change Match, then Actions > Unmatch, from the Matched tab
    page.goto(f"/itdocs/integrations/{tenant.integration_id}/matching?tab=matched")
    choose_action(customer_row(page, "3"), "Change Match")
    contoso = next(name for name in tenant.organizations if name.startswith("Contoso"))
    page.get_by_label("Search IT Docs organizations by name").fill("contoso")
    page.get_by_role("button", name="Search", exact=True).click()
    page.get_by_role("button", name=f"Match to {contoso}").click()
    expect(page.get_by_role("status")).to_contain_text("Match changed")
    # By keyboard alone: Enter opens the menu, Escape closes it, Tab reaches each action.
    menu = customer_row(page, "3").locator("details.actions-menu")
    menu.get_by_text("Actions", exact=True).focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("open", "")
    expect(menu.get_by_role("link", name="Change Match")).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(menu).not_to_have_attribute("open", "")
    expect(menu.get_by_role("link", name="Change Match")).to_be_hidden()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(menu.get_by_role("link", name="Change Match")).to_be_focused()
    page.keyboard.press("Tab")
    expect(menu.get_by_role("button", name="Unmatch")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Customer unmatched")

    record = store.get_match(tenant.integration_id, "3")
    assert record.status == "Unmatched" and record.decided_by == tenant.manager.email
    assert len(organizations.list_all(hub_db, ItDocsUser.of(tenant.admin))) == 5
    integration = integrations.get(hub_db, as_user(hub_db, tenant.manager), tenant.integration_id)
    assert integration.status == "Queued"
    expect(page.get_by_role("heading", name="Recent matching changes")).to_be_visible()
