"""Start Manual Sync in a real browser: the click answers at once with "Syncing..." and a progress
bar, which move on without a reload until the status is OK.

The server runs its sync queue in the background (as `make run` does) and its REST API's `/seats`
waits per seat (vendor realism, set by the browser stack), so the run takes a few seconds.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chalicelib.itdocs.policy import MANAGER
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from tests.browser.actions_menu import choose_action
from tests.browser.conftest import BrowserStack
from tests.browser.itdocs_steps import connect_saas_protection
from tests.conftest import unique
from tests.itdocs.helpers import make_account, make_user
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.browser

CUSTOMERS = 4


def test_start_manual_sync_answers_at_once_and_shows_progress_until_ok(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    partner = make_partner(unique("Partner"),
                           customers=((catalog.OFFICE365, 8, True),) * CUSTOMERS)
    manager = make_user(make_account(), MANAGER)

    # Connect: the keys are checked on the server's sync queue; the page says how it ended.
    connect_saas_protection(page, hub_db, browser_stack.base_url, manager, partner)
    status = page.locator(".sync-status [data-part=status]")
    reason = page.locator(".sync-status [data-part=reason]")
    expect(status).to_have_text("Never synced")
    expect(reason).to_have_text(f"Keys accepted: SaaS Protection lists {CUSTOMERS} customers.")
    page.get_by_label("Sync SaaS Protection backup information").check()
    page.get_by_role("button", name="Save").click()

    # Actions > Start Manual Sync: the list again at once, the run still going.
    choose_action(page, "Start Manual Sync")
    expect(page.get_by_role("status")).to_contain_text("Manual sync started")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    expect(status).to_have_text("Syncing...")
    bar = page.get_by_role("progressbar", name="Sync progress")
    expect(bar).to_be_visible()
    expect(page.locator(".sync-status [data-part=count]")).to_contain_text(
        f"of {CUSTOMERS} customers")

    # It ends OK in place: the bar goes, the status turns, no reload happened.
    expect(status).to_have_text("OK", timeout=30_000)
    expect(status).to_have_class("status-ok")
    expect(bar).to_be_hidden()
    assert page.evaluate("window.sameDocument") is True
    assert page.locator(".sync-status").get_attribute("data-in-progress") == "no"
