"""Reconcile on DynamoDB Local: hundreds of customers in transactions, then nothing to write."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from chalicelib.matching.reconcile import SyncedCustomer
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.sync.decisions import reconcile
from tests.sync.matching_helpers import store_organizations, suffix

pytestmark = pytest.mark.ddblocal

SIZE = 250


@dataclass(frozen=True)
class Org:
    organization_id: str
    name: str


def workload(rt: Runtime, account_id: str) -> tuple[list[SyncedCustomer], list[Org]]:
    """SIZE customers, and SIZE stored organizations of the account (a match is written only to
    an organization that exists)."""
    organizations = [Org(f"o{n}", f"Client {n:03d} Dental") for n in range(SIZE)]
    store_organizations(rt, account_id, [(o.organization_id, o.name) for o in organizations])
    customers = [
        SyncedCustomer(
            str(n),
            f"Client {n:03d} Dental" if n % 2 else f"Client {n:03d} Dental LLC",
            f"c{n}.example.com",
            "Google Workspace",
        )
        for n in range(SIZE)
    ]
    return customers, organizations


def test_a_first_sync_writes_every_customer_and_a_second_writes_nothing(ddb: Runtime) -> None:
    integration_id, account_id = f"integ-{suffix()}", f"acct-{suffix()}"
    customers, organizations = workload(ddb, account_id)

    def run() -> object:
        return reconcile(
            ddb,
            account_id=account_id,
            integration_id=integration_id,
            customers=customers,
            organizations=organizations,
            accept_automatically=True,
            now=ddb.clock.now(),
        )

    with tables.counting_calls() as first_calls:
        first = run()
    assert first.writes == SIZE and first.matched == SIZE  # type: ignore[attr-defined]
    # each customer matched to its own organization: 50 records and their 50 organizations' lists
    # of matched customers per transaction of 100 items
    assert first_calls.calls["TransactWriteItems"] == SIZE // 50

    with tables.counting_calls() as second_calls:
        second = run()
    assert second.writes == 0 and second.matched == SIZE  # type: ignore[attr-defined]
    assert set(second_calls.calls) == {"Query"}


def test_a_stale_record_in_a_chunk_costs_only_itself(ddb: Runtime) -> None:
    integration_id, account_id = f"integ-{suffix()}", f"acct-{suffix()}"
    customers, organizations = workload(ddb, account_id)
    reconcile(
        ddb,
        account_id=account_id,
        integration_id=integration_id,
        customers=customers,
        organizations=organizations,
        accept_automatically=False,
        now=ddb.clock.now(),
    )
    records = store.matches_of_integration(integration_id)
    renamed = [
        dataclasses.replace(r, domain="new.example.com", version=r.version + 1) for r in records
    ]
    # Someone changed customer 7 in between: its write must lose, the others must land.
    seven = next(r for r in records if r.customer_id == "7")
    store.write_reconciled(
        [dataclasses.replace(seven, status="Ignored", version=seven.version + 1)]
    )

    lost = store.write_reconciled(renamed)

    assert lost == ["7"]
    after = {r.customer_id: r for r in store.matches_of_integration(integration_id)}
    assert after["7"].status == "Ignored" and after["7"].domain != "new.example.com"
    assert sum(r.domain == "new.example.com" for r in after.values()) == SIZE - 1
