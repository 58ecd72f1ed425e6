"""The matching screen's recent changes on DynamoDB Local: kept on each customer's record (written
in the decision's own transaction), they are the audit trail's newest, so the screen needs no
Query of the audit trail; a record stored before records kept them falls back to that Query."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from chalicelib.clock import FrozenClock
from chalicelib.errors import ConcurrentChange, InvalidInput
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import kept_changes
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.match_decisions import RECENT_CHANGES, CustomerMatchModel
from chalicelib.sync import match_actions
from chalicelib.sync.matching_screen import screen
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync

pytestmark = pytest.mark.ddblocal

CUSTOMERS = [customer("1", "Contoso"), customer("2", "Fabrikam Inc"),
             customer("3", "Tailspin Toys"), customer("4", "Wingtip Toys"),
             customer("5", "Northwind Trader"), customer("6", "Adventure Works")]


@pytest.fixture
def tenant(ddb: Runtime) -> Tenant:
    made = make_tenant(ddb, ["Contoso", "Fabrikam, Inc.", "Northwind Traders"], integration_id="")
    made.integration_id = make_integration(ddb, made.account_id)
    sync(ddb, made, CUSTOMERS, auto=True)  # 2 and 5 accepted automatically, by the sync
    return made


def shown_trail(ddb: Runtime, tenant: Tenant, tab: str = "matched") -> list[store.AuditEntry]:
    return screen(ddb, as_user(ddb, tenant.manager), tenant.integration_id, tab=tab).trail


def toggle(ddb: Runtime, tenant: Tenant, customer_id: str, times: int,
           clock: FrozenClock | None = None) -> None:
    """Ignore and un-ignore the customer, `times` changes in all (a second apart on `clock`)."""
    for n in range(times):
        act = match_actions.ignore if n % 2 == 0 else match_actions.unignore
        act(ddb, as_user(ddb, tenant.manager), tenant.integration_id, customer_id)
        if clock:
            clock.advance(seconds=1)


def test_the_screen_shows_the_audit_trails_newest_changes_without_querying_it(
    ddb: Runtime, tenant: Tenant, frozen_time: FrozenClock
) -> None:
    frozen_time.advance(seconds=1)
    toggle(ddb, tenant, "3", RECENT_CHANGES + 5, frozen_time)  # outgrows what one record keeps
    match_actions.unmatch(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "2")
    frozen_time.advance(seconds=1)
    toggle(ddb, tenant, "4", 3, frozen_time)

    with tables.counting_calls() as calls:
        trail = shown_trail(ddb, tenant)

    newest = store.audit_trail(tenant.integration_id, limit=RECENT_CHANGES)
    assert trail == newest and len(trail) == RECENT_CHANGES
    assert [e.customer_id for e in trail][:4] == ["4", "4", "4", "2"]
    assert [e.customer_id for e in trail][4:] == ["3"] * (RECENT_CHANGES - 4)
    assert trail[-1].at == trail[0].at - dt.timedelta(seconds=RECENT_CHANGES - 1)
    assert calls.calls["Query"] == 2  # the integration's records, the organizations' names
    assert len(store.get_match(tenant.integration_id, "3").recent or ()) == RECENT_CHANGES


def test_the_syncs_automatic_acceptances_are_among_the_recent_changes(
    ddb: Runtime, tenant: Tenant
) -> None:
    trail = shown_trail(ddb, tenant, tab="unmatched")

    assert trail == store.audit_trail(tenant.integration_id)
    assert sorted((e.customer_id, e.actor) for e in trail) == [("2", "sync"), ("5", "sync")]


def test_simultaneous_decisions_keep_exactly_the_changes_that_were_written(
    ddb: Runtime, tenant: Tenant
) -> None:
    shown = store.get_match(tenant.integration_id, "3").version
    barrier = threading.Barrier(8)
    won: list[str] = []

    def decide(customer_id: str) -> None:
        user = as_user(ddb, tenant.manager)
        barrier.wait()
        try:
            expected = shown if customer_id == "3" else None
            match_actions.ignore(ddb, user, tenant.integration_id, customer_id,
                                 expected_version=expected)
            won.append(customer_id)
        except (ConcurrentChange, InvalidInput):
            pass

    racers = ["3"] * 6 + ["4", "6"]  # six on one customer, two on others, all at once
    threads = [threading.Thread(target=decide, args=(c,)) for c in racers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(won) == ["3", "4", "6"]
    trail = shown_trail(ddb, tenant, tab="ignored")
    assert trail == store.audit_trail(tenant.integration_id)
    assert sorted(e.customer_id for e in trail if e.actor != "sync") == ["3", "4", "6"]


def forget_kept_changes(tenant: Tenant, customer_id: str) -> None:
    """The record as stored before records kept their changes."""
    CustomerMatchModel(tenant.integration_id, customer_id).update(
        actions=[CustomerMatchModel.recent.remove()])


def test_a_record_stored_before_records_kept_changes_shows_the_audit_trail_until_a_sync(
    ddb: Runtime, tenant: Tenant, frozen_time: FrozenClock
) -> None:
    toggle(ddb, tenant, "3", 2, frozen_time)
    forget_kept_changes(tenant, "3")
    forget_kept_changes(tenant, "4")
    toggle(ddb, tenant, "4", 3, frozen_time)  # changed meanwhile: still keeps none

    with tables.counting_calls() as calls:
        before_sync = shown_trail(ddb, tenant)

    assert before_sync == store.audit_trail(tenant.integration_id, limit=RECENT_CHANGES)
    assert len(before_sync) == 7 and calls.calls["Query"] == 3  # and the audit trail
    assert store.get_match(tenant.integration_id, "4").recent is None

    sync(ddb, tenant, CUSTOMERS)
    with tables.counting_calls() as calls:
        after_sync = shown_trail(ddb, tenant)

    assert after_sync == before_sync and calls.calls["Query"] == 2
    kept = store.get_match(tenant.integration_id, "4").recent or ()
    assert [e.action for e in kept] == ["Ignored", "Un-ignored", "Ignored"]


def test_a_record_changed_while_the_sync_fills_it_is_left_for_the_next_sync(
    ddb: Runtime, tenant: Tenant, frozen_time: FrozenClock
) -> None:
    forget_kept_changes(tenant, "3")
    read = store.get_match(tenant.integration_id, "3")
    toggle(ddb, tenant, "3", 1, frozen_time)  # lands between the sync's read and its write

    assert kept_changes.fill_kept_changes(tenant.integration_id, [read]) == 0
    assert store.get_match(tenant.integration_id, "3").recent is None
    assert shown_trail(ddb, tenant) == store.audit_trail(tenant.integration_id)

    assert kept_changes.fill_kept_changes(
        tenant.integration_id, [store.get_match(tenant.integration_id, "3")]) == 1
    kept = store.get_match(tenant.integration_id, "3").recent or ()
    assert [e.action for e in kept] == ["Ignored"]
    assert shown_trail(ddb, tenant) == store.audit_trail(tenant.integration_id)


def test_the_record_an_action_returns_is_the_record_stored(ddb: Runtime, tenant: Tenant) -> None:
    done = match_actions.ignore(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "3")

    assert done == store.get_match(tenant.integration_id, "3")
    assert [e.action for e in done.recent or ()] == ["Ignored"]
