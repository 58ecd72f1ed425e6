"""The matching actions on DynamoDB Local: each changes the match, is audited and queues a sync."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from chalicelib.clock import FrozenClock
from chalicelib.errors import AlreadyExists, ConcurrentChange, InvalidInput, NotFound
from chalicelib.itdocs import organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs.organizations import get_organization
from chalicelib.sync import integrations, match_actions, matching_screen
from chalicelib.sync.matching_screen import customers_for_organization, screen
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import (
    Tenant,
    customer,
    make_integration,
    make_tenant,
    suffix,
    sync,
)

pytestmark = pytest.mark.ddblocal

ORGANIZATIONS = ["Contoso", "Fabrikam, Inc.", "Smith & Jones Dental", "Northwind Traders"]
CUSTOMERS = [
    customer("1", "Contoso"),
    customer("2", "Fabrikam Inc"),
    customer("3", "Jones and Smith Dental LLC"),
    customer("4", "Tailspin Toys"),
    customer("5", "Northwind Trader"),
]


@pytest.fixture
def tenant(ddb: Runtime) -> Tenant:
    account_tenant = make_tenant(ddb, [f"{name}" for name in ORGANIZATIONS], integration_id="")
    account_tenant.integration_id = make_integration(ddb, account_tenant.account_id)
    sync(ddb, account_tenant, CUSTOMERS)
    return account_tenant


def queued_at(rt: Runtime, tenant: Tenant) -> dt.datetime | None:
    integration = integrations.get(rt, as_user(rt, tenant.manager), tenant.integration_id)
    assert integration.status == "Queued"
    return integration.queued_sync_at


def org_id(tenant: Tenant, name: str) -> str:
    return tenant.organizations[name]


def test_accept_suggested_match_matches_audits_and_queues_a_sync_an_hour_later(
    ddb: Runtime, tenant: Tenant, frozen_time: FrozenClock
) -> None:
    actor = tenant.manager.email
    done = match_actions.accept_suggested(
        ddb,
        as_user(ddb, tenant.manager),
        tenant.integration_id,
        "2",
    )

    assert done.status == "Matched"
    assert done.organization_id == org_id(tenant, "Fabrikam, Inc.")
    assert customers_for_organization(ddb, as_user(ddb, tenant.manager), done.organization_id) == [
        (tenant.integration_id, "2")
    ]
    [entry] = store.audit_trail(tenant.integration_id)
    assert (entry.actor, entry.action, entry.customer_id) == (
        actor,
        "Accepted suggested match",
        "2",
    )
    assert entry.at == frozen_time.now()
    assert queued_at(ddb, tenant) == frozen_time.now() + dt.timedelta(hours=1)


def test_a_change_does_not_push_back_a_sync_already_queued_sooner(
    ddb: Runtime, tenant: Tenant, frozen_time: FrozenClock
) -> None:
    first = frozen_time.now()
    match_actions.ignore(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "4")
    frozen_time.advance(minutes=20)
    match_actions.unignore(
        ddb, as_user(ddb, tenant.manager), tenant.integration_id, "4"
    )

    assert queued_at(ddb, tenant) == first + dt.timedelta(hours=1)


def test_bulk_accept_takes_the_selected_suggestions_and_skips_the_rest(
    ddb: Runtime, tenant: Tenant
) -> None:
    outcome = match_actions.accept_selected(
        ddb,
        as_user(ddb, tenant.manager),
        tenant.integration_id,
        ["2", "3", "4"],
    )

    assert outcome.accepted == ["2", "3"] and outcome.skipped == ["4"]
    matched = {
        r.customer_id: r.organization_id
        for r in screen(
            ddb, as_user(ddb, tenant.manager), tenant.integration_id, tab="matched"
        ).rows
    }
    assert matched["3"] == org_id(tenant, "Smith & Jones Dental")
    assert len(store.audit_trail(tenant.integration_id)) == 2
    queued_at(ddb, tenant)


def test_match_to_an_organization_found_by_searching(ddb: Runtime, tenant: Tenant) -> None:
    [found, *_] = matching_screen.search_organizations(
        as_user(ddb, tenant.manager), "northwind"
    )
    assert found.name == "Northwind Traders"

    done = match_actions.match_to(
        ddb,
        as_user(ddb, tenant.manager),
        tenant.integration_id,
        "4",
        found.organization_id,
    )

    assert done.status == "Matched" and done.matched_by == "person"
    assert store.audit_trail(tenant.integration_id)[0].organization_name == "Northwind Traders"
    queued_at(ddb, tenant)


def test_create_organization_lists_similar_names_and_never_makes_an_exact_duplicate(
    ddb: Runtime, tenant: Tenant
) -> None:
    check = match_actions.creation_check(
        as_user(ddb, tenant.manager), "Northwind Trader"
    )
    assert check.duplicate is None
    assert [c.name for c in check.similar] == ["Northwind Traders"]

    exact = match_actions.creation_check(as_user(ddb, tenant.manager), "Contoso")
    assert exact.duplicate is not None and exact.duplicate.name == "Contoso"
    with pytest.raises(AlreadyExists):
        match_actions.create_organization(
            ddb,
            as_user(ddb, tenant.manager),
            tenant.integration_id,
            "4",
            name="Contoso",
        )
    assert store.get_match(tenant.integration_id, "4").status == "Unmatched"

    done = match_actions.create_organization(
        ddb,
        as_user(ddb, tenant.manager),
        tenant.integration_id,
        "4",
        name="Tailspin Toys",
    )
    created = organizations.get(ddb, ItDocsUser.of(tenant.admin), done.organization_id or "")
    assert created.name == "Tailspin Toys"
    assert len(organizations.list_all(ddb, ItDocsUser.of(tenant.admin))) == len(ORGANIZATIONS) + 1
    queued_at(ddb, tenant)


def test_two_people_creating_the_same_organization_at_once_make_one(
    ddb: Runtime, tenant: Tenant
) -> None:
    name = f"Wingtip {suffix()}"
    sync(ddb, tenant, [*CUSTOMERS, customer("6", name), customer("7", name.upper())])
    failures: list[Exception] = []

    def create(customer_id: str) -> None:
        try:
            match_actions.create_organization(
                ddb,
                as_user(ddb, tenant.manager),
                tenant.integration_id,
                customer_id,
                name=name,
            )
        except AlreadyExists as exc:
            failures.append(exc)

    threads = [threading.Thread(target=create, args=(cid,)) for cid in ("6", "7")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    named = [o for o in organizations.list_all(ddb, ItDocsUser.of(tenant.admin)) if o.name == name]
    assert len(named) == 1
    assert len(failures) == 1


def test_ignored_customers_are_not_counted_as_unmatched_in_later_syncs(
    ddb: Runtime, tenant: Tenant
) -> None:
    match_actions.ignore(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "4")

    outcome = sync(ddb, tenant, CUSTOMERS, auto=True)

    assert outcome.ignored == 1
    assert "4" not in outcome.matches
    manager = as_user(ddb, tenant.manager)
    assert screen(ddb, manager, tenant.integration_id, tab="ignored").counts == {
        "Unmatched": 0,
        "Matched": 4,
        "Ignored": 1,
    }


def test_un_ignore_lets_the_next_sync_match_the_customer_again(
    ddb: Runtime, tenant: Tenant
) -> None:
    match_actions.ignore(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "4")
    tailspin = organizations.create(ddb, ItDocsUser.of(tenant.manager), "Tailspin Toys")
    assert "4" not in sync(ddb, tenant, CUSTOMERS).matches

    done = match_actions.unignore(
        ddb, as_user(ddb, tenant.manager), tenant.integration_id, "4"
    )

    assert done.status == "Unmatched"
    assert sync(ddb, tenant, CUSTOMERS).matches["4"] == tailspin.organization_id


def test_change_match_moves_the_customer_to_another_organization(
    ddb: Runtime, tenant: Tenant
) -> None:
    target = org_id(tenant, "Northwind Traders")
    done = match_actions.change_match(
        ddb,
        as_user(ddb, tenant.manager),
        tenant.integration_id,
        "1",
        target,
    )

    assert done.organization_id == target
    manager = as_user(ddb, tenant.manager)
    assert customers_for_organization(ddb, manager, org_id(tenant, "Contoso")) == []
    assert sync(ddb, tenant, CUSTOMERS).matches["1"] == target
    [entry] = store.audit_trail(tenant.integration_id)
    assert entry.previous_organization_id == org_id(tenant, "Contoso")
    queued_at(ddb, tenant)


def test_unmatch_stays_unmatched_even_with_an_exact_name(ddb: Runtime, tenant: Tenant) -> None:
    done = match_actions.unmatch(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "1")

    assert done.status == "Unmatched"
    outcome = sync(ddb, tenant, CUSTOMERS, auto=True)
    assert "1" not in outcome.matches
    # The suggestion is still shown, for a person to accept if the unmatch was a mistake.
    again = store.get_match(tenant.integration_id, "1")
    assert again.suggested_organization_id == org_id(tenant, "Contoso")
    queued_at(ddb, tenant)


def test_an_action_on_a_customer_someone_changed_since_the_page_loaded_is_refused(
    ddb: Runtime, tenant: Tenant
) -> None:
    shown = store.get_match(tenant.integration_id, "2")
    match_actions.ignore(ddb, as_user(ddb, tenant.manager), tenant.integration_id, "2")

    with pytest.raises(ConcurrentChange):
        match_actions.unignore(
            ddb,
            as_user(ddb, tenant.manager),
            tenant.integration_id,
            "2",
            expected_version=shown.version,
        )
    with pytest.raises(InvalidInput):
        match_actions.accept_suggested(
            ddb,
            as_user(ddb, tenant.manager),
            tenant.integration_id,
            "2",
        )


def test_two_simultaneous_decisions_on_one_customer_leave_exactly_one(
    ddb: Runtime, tenant: Tenant
) -> None:
    shown = store.get_match(tenant.integration_id, "2").version
    outcomes: list[str] = []

    def decide(action: str) -> None:
        accept = match_actions.accept_suggested
        act = match_actions.ignore if action == "ignore" else accept
        try:
            act(
                ddb,
                as_user(ddb, tenant.manager),
                tenant.integration_id,
                "2",
                expected_version=shown,
            )
            outcomes.append("won")
        except (ConcurrentChange, InvalidInput):
            outcomes.append("lost")

    threads = [threading.Thread(target=decide, args=(a,)) for a in ("ignore", "accept") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["lost"] * 5 + ["won"]
    assert len(store.audit_trail(tenant.integration_id)) == 1


def test_another_accounts_customers_and_organizations_are_out_of_reach(
    ddb: Runtime, tenant: Tenant
) -> None:
    other = make_tenant(ddb, ["Contoso"], integration_id="")

    with pytest.raises(NotFound):
        match_actions.ignore(ddb, as_user(ddb, other.manager), tenant.integration_id, "4")
    with pytest.raises(NotFound):
        match_actions.match_to(
            ddb,
            as_user(ddb, tenant.manager),
            tenant.integration_id,
            "4",
            other.organizations["Contoso"],
        )
    assert store.get_match(tenant.integration_id, "4").status == "Unmatched"


def test_bulk_accept_writes_every_match_and_the_lists_in_one_transaction(
    ddb: Runtime, tenant: Tenant
) -> None:
    with tables.counting_calls() as calls:
        outcome = match_actions.accept_selected(
            ddb, as_user(ddb, tenant.manager), tenant.integration_id, ["2", "3", "5"])

    assert outcome.accepted == ["2", "3", "5"] and outcome.skipped == []
    assert calls.calls["TransactWriteItems"] == 1
    for name, customer_id in (("Fabrikam, Inc.", "2"), ("Smith & Jones Dental", "3")):
        listed = get_organization(tenant.account_id, org_id(tenant, name)).matched
        assert listed == ((tenant.integration_id, customer_id),)
    assert {e.customer_id: e.organization_name for e in store.audit_trail(
        tenant.integration_id)} == {"2": "Fabrikam, Inc.", "3": "Smith & Jones Dental",
                                    "5": "Northwind Traders"}


def test_bulk_accept_after_a_rename_and_a_deletion_began_accepts_the_rest_one_by_one(
    ddb: Runtime, tenant: Tenant
) -> None:
    admin = ItDocsUser.of(tenant.admin)
    organizations.rename(ddb, admin, org_id(tenant, "Fabrikam, Inc."), "Fabrikam Group")
    organization_store.mark_deleting(tenant.account_id, org_id(tenant, "Northwind Traders"),
                                     ddb.clock.now())

    outcome = match_actions.accept_selected(
        ddb, as_user(ddb, tenant.manager), tenant.integration_id, ["2", "3", "5"])

    assert outcome.accepted == ["2", "3"] and outcome.skipped == ["5"]
    names = {e.customer_id: e.organization_name for e in store.audit_trail(tenant.integration_id)}
    assert names == {"2": "Fabrikam Group", "3": "Smith & Jones Dental"}
    assert store.get_match(tenant.integration_id, "5").status == "Unmatched"
    assert get_organization(tenant.account_id, org_id(tenant, "Northwind Traders")).matched == ()
