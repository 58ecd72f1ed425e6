"""Delete integration in a real browser: the list answers at once with "Being deleted…", and the
page follows the removal without a reload: while a sync run that held the lease may still write,
it says until when the removal waits (in the viewer's time); then that the removal is under way;
then that the integration was deleted, with its Actions menu gone; the integration's own page
goes to the list, which says it was deleted.

A run is shown holding the lease by taking it as a run does, so the removal deterministically
waits; the test then moves the mark back past the run's end and runs the removal, as the sync
queue's worker would once that moment comes (the server's own delayed message then finds nothing
to do).
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from playwright.sync_api import Page, expect

from chalicelib.itdocs.policy import ADMINISTRATOR
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs.integrations import IntegrationModel
from chalicelib.sync import integration_deletion
from chalicelib.sync.integrations import REMOVING
from chalicelib.sync.lifecycle import LEASE
from tests.browser.actions_menu import choose_action
from tests.browser.conftest import BrowserStack
from tests.browser.itdocs_steps import connect_saas_protection
from tests.conftest import unique
from tests.itdocs.helpers import make_account, make_user
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.browser

WAITING = "Waiting for the sync run in progress to stop; removal starts by "


def _connected(page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> str:
    """An Administrator's integration with sync on, connected in the browser; its id."""
    partner = make_partner(unique("Partner"), customers=((catalog.OFFICE365, 2, True),))
    admin = make_user(make_account(), ADMINISTRATOR)
    connect_saas_protection(page, hub_db, browser_stack.base_url, admin, partner)
    expect(page.locator(".sync-status [data-part=status]")).to_have_text("Never synced")
    page.get_by_label("Sync SaaS Protection backup information").check()
    page.get_by_role("button", name="Save").click()
    return str(page.locator(".sync-status").get_attribute("id")).removeprefix("sync-status-")


def _run_holds_the_lease(integration_id: str, now: dt.datetime) -> dt.datetime:
    """Take the integration's lease as a manual sync's run does; when the lease ends."""
    record = integration_store.get_integration(integration_id)
    until = now + dt.timedelta(minutes=10)
    integration_store.claim_manual_sync(
        integration_id, account_id=record.account_id, now=now, lock_hours=6,
        lease_token=unique("lease"), lease_until=until, run_id=unique("run"))
    return until


def _mark_moved_back(integration_id: str, by: dt.timedelta) -> None:
    """The deletion's mark as if made `by` ago: the interrupted run can no longer write."""
    record = integration_store.get_integration(integration_id)
    assert record.removal_marked_at is not None and record.removal_lease_until is not None
    IntegrationModel(integration_id).update(actions=[
        IntegrationModel.removal_marked_at.set(record.removal_marked_at - by),
        IntegrationModel.removal_lease_until.set(record.removal_lease_until - by)])


def test_a_deleted_integration_is_followed_without_reload_until_gone(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    integration_id = _connected(page, hub_db, browser_stack)
    now = dt.datetime.now(dt.UTC)
    _run_holds_the_lease(integration_id, now)
    page.goto("/itdocs/account/integrations")
    status = page.locator(".sync-status [data-part=status]")
    reason = page.locator(".sync-status [data-part=reason]")
    expect(status).to_have_text("Syncing...")

    choose_action(page, "Delete")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("is being deleted")
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    expect(status).to_have_text("Being deleted…")
    expect(reason).to_contain_text(WAITING)
    starts_by = reason.locator("time")
    marked = integration_store.get_integration(integration_id).removal_marked_at
    assert marked is not None
    shown = str(starts_by.get_attribute("datetime")).replace("Z", "+00:00")
    assert dt.datetime.fromisoformat(shown) == (marked + LEASE).replace(microsecond=0)

    _mark_moved_back(integration_id, LEASE + dt.timedelta(minutes=1))
    expect(reason).to_have_text(REMOVING, timeout=20_000)  # the poll slows to 10 s when unchanged
    expect(status).to_have_text("Being deleted…")

    body = json.dumps({"kind": integration_deletion.KIND, "integration_id": integration_id,
                       "actor": "browser test"})
    assert integration_deletion.handle_message(hub_db, body) is True
    expect(status).to_have_text("Deleted", timeout=20_000)
    expect(reason).to_have_text("The integration and what it synced were removed.")
    expect(page.locator("details.actions-menu")).to_have_count(0)
    assert page.evaluate("window.sameDocument") is True
    assert page.locator(".sync-status").get_attribute("data-in-progress") == "no"


def test_the_integrations_own_page_goes_to_the_list_once_it_is_deleted(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    integration_id = _connected(page, hub_db, browser_stack)
    _run_holds_the_lease(integration_id, dt.datetime.now(dt.UTC))
    page.goto("/itdocs/account/integrations")
    choose_action(page, "Delete")
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("is being deleted")

    page.goto(f"/itdocs/account/integrations/{integration_id}/edit")
    expect(page.locator(".sync-status [data-part=status]")).to_have_text("Being deleted…")
    _mark_moved_back(integration_id, LEASE + dt.timedelta(minutes=1))
    body = json.dumps({"kind": integration_deletion.KIND, "integration_id": integration_id,
                       "actor": "browser test"})
    assert integration_deletion.handle_message(hub_db, body) is True

    expect(page).to_have_url(re.compile(r"/itdocs/account/integrations\?done=integration_deleted"),
                             timeout=20_000)
    expect(page.get_by_role("status")).to_have_text("The SaaS Protection integration was deleted")
    expect(page.get_by_text("No integrations yet")).to_be_visible()
