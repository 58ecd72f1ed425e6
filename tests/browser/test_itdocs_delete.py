"""Delete organization in a real browser, against the server `make run` starts: the confirmation
answers at once with the organization listed as being deleted, and the server's sync queue (its
worker threads) removes it, so a reload shows it gone with its contacts. The list and the
organization's page follow a deletion without a reload (its removal held by the test, so the
pages are seen before it runs): the list says "(deleted)", the page goes to the list."""

from __future__ import annotations

import dataclasses
import re
import time

import pytest
from playwright.sync_api import Page, expect

from chalicelib import queues
from chalicelib.itdocs import contacts, organization_deletion, organizations, sessions
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.itdocs.policy import ADMINISTRATOR
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import contacts as contact_store
from tests.browser.conftest import BrowserStack
from tests.conftest import unique
from tests.fakes import HeldQueue
from tests.itdocs.helpers import make_account, make_user

pytestmark = pytest.mark.browser

WAIT_SECONDS = 30.0


def test_a_deleted_organization_is_shown_being_deleted_then_gone(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    admin = make_user(make_account(), ADMINISTRATOR)
    name = unique("Doomed Ltd")
    organization = organizations.create(hub_db, ItDocsUser.of(admin), name)
    for person in ("Ann", "Bob"):
        contacts.create(hub_db, ItDocsUser.of(admin), organization.organization_id,
                        ContactDetails(f"{person} Doomed", []))
    token, _ = sessions.start(hub_db, admin)
    page.context.add_cookies([{"name": "lh_itdocs_session", "value": token,
                               "url": browser_stack.base_url}])

    page.goto(f"/itdocs/organizations/{organization.organization_id}")
    page.get_by_role("link", name="Delete organization").click()
    expect(page.get_by_role("heading", name=f"Delete {name}?")).to_be_visible()
    expect(page.get_by_text("2 contacts will be deleted with it.")).to_be_visible()
    page.get_by_role("button", name="Delete organization").click()

    expect(page.get_by_role("status")).to_contain_text(f"{name} is being deleted")
    listed = page.get_by_role("link", name=name, exact=True)
    deadline = time.monotonic() + WAIT_SECONDS
    while listed.count() and time.monotonic() < deadline:
        page.wait_for_timeout(250)
        page.goto("/itdocs/organizations")
    expect(listed).to_have_count(0)
    assert contact_store.contacts_of_organization(admin.account_id,
                                                  organization.organization_id) == []


def _marked_with_removal_held(hub_db: Runtime, admin: ItDocsUser,
                              organization_id: str) -> HeldQueue:
    """Delete organization as the button does, its removal held by the test (not the server)."""
    held = HeldQueue(queues.SYNC_INLINE)
    holding = dataclasses.replace(hub_db, queues=dataclasses.replace(hub_db.queues, sync=held))
    organization_deletion.request(holding, admin, organization_id)
    return held


def test_the_list_and_the_organization_page_follow_a_deletion_without_reload(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    admin = make_user(make_account(), ADMINISTRATOR)
    actor = ItDocsUser.of(admin)
    name = unique("Going Ltd")
    organization = organizations.create(hub_db, actor, name)
    token, _ = sessions.start(hub_db, admin)
    page.context.add_cookies([{"name": "lh_itdocs_session", "value": token,
                               "url": browser_stack.base_url}])
    held = _marked_with_removal_held(hub_db, actor, organization.organization_id)

    page.goto(f"/itdocs/organizations/{organization.organization_id}")
    expect(page.get_by_role("status")).to_contain_text("Being deleted…")
    other = page.context.new_page()
    other.goto("/itdocs/organizations")
    expect(other.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(other.get_by_text("(being deleted…)")).to_be_visible()
    other.evaluate("window.sameDocument = true")  # gone if the page reloads

    assert held.deliver_all() == 1  # the removal runs
    expect(other.get_by_text("(deleted)")).to_be_visible(timeout=20_000)
    expect(other.get_by_role("link", name=name, exact=True)).to_have_count(0)
    expect(other.get_by_text(name, exact=True)).to_be_visible()
    assert other.evaluate("window.sameDocument") is True
    expect(page).to_have_url(re.compile(r"/itdocs/organizations\?done=organization_deleted"),
                             timeout=20_000)
    expect(page.get_by_role("status")).to_have_text(f"{name} was deleted, with its contacts")
