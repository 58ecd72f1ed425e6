"""A sync's matching: exact names, kept decisions, suggestions, auto-acceptance, diff writes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pytest

from chalicelib.itdocs.acting import SyncUser
from chalicelib.matching.reconcile import ReconcileOutcome, SyncedCustomer
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.sync.decisions import reconcile
from chalicelib.sync.matching_screen import customers_for_organization, screen
from tests.sync.helpers import as_admin
from tests.sync.matching_helpers import make_integration, store_organizations

ACCOUNT = "acct-1"
INTEGRATION = "integ-1"


@dataclass(frozen=True)
class Org:
    organization_id: str
    name: str


ORGS = [
    Org("o-contoso", "Contoso"),
    Org("o-fabrikam", "Fabrikam, Inc."),
    Org("o-north", "North Star Legal"),
    Org("o-smith", "Smith & Jones Dental"),
]


def customer(customer_id: str, name: str) -> SyncedCustomer:
    return SyncedCustomer(customer_id, name, f"{customer_id}.example.com", "Microsoft 365")


CUSTOMERS = [
    customer("1", "Contoso"),  # exact
    customer("2", "Fabrikam Inc"),  # suggestion, 100
    customer("3", "South Star Legal"),  # look-alike: no suggestion
    customer("4", "Jones and Smith Dental LLC"),  # reordered, "and", suffix: suggestion
    customer("5", "Northwind Traders"),  # nothing like it
]


def admin(rt: Runtime) -> SyncUser:
    """The sync acting for an Administrator of the account."""
    return as_admin(rt, ACCOUNT)


@pytest.fixture(autouse=True)
def integration(aws: Runtime) -> str:
    """The account's integration whose matching screen the tests read, and its organizations."""
    store_organizations(aws, ACCOUNT, [(o.organization_id, o.name) for o in ORGS])
    return make_integration(aws, ACCOUNT, integration_id=INTEGRATION)


def run(
    rt: Runtime,
    customers: list[SyncedCustomer] = CUSTOMERS,
    *,
    auto: bool = False,
    organizations: list[Org] = ORGS,
) -> ReconcileOutcome:
    return reconcile(
        rt,
        account_id=ACCOUNT,
        integration_id=INTEGRATION,
        customers=customers,
        organizations=organizations,
        accept_automatically=auto,
        now=rt.clock.now(),
    )


def test_exact_names_match_and_the_rest_wait_for_review_with_their_suggestion(aws: Runtime) -> None:
    outcome = run(aws)

    assert outcome.matches == {"1": "o-contoso"}
    assert (outcome.matched, outcome.unmatched, outcome.ignored) == (1, 4, 0)
    assert outcome.newly_matched == 1 and outcome.writes == 5
    rows = {r.customer_id: r for r in screen(aws, admin(aws), INTEGRATION, tab="unmatched").rows}
    assert rows["2"].suggested_organization_id == "o-fabrikam"
    assert rows["2"].suggested_score == 100
    assert rows["4"].suggested_organization_id == "o-smith"
    assert rows["3"].suggested_organization_id is None
    assert rows["5"].suggested_organization_id is None
    assert rows["2"].domain == "2.example.com" and rows["2"].product == "Microsoft 365"


def test_accept_all_automatically_accepts_suggestions_above_the_threshold_only(
    aws: Runtime,
) -> None:
    outcome = run(aws, auto=True)

    assert outcome.matches == {"1": "o-contoso", "2": "o-fabrikam", "4": "o-smith"}
    assert (outcome.matched, outcome.unmatched) == (3, 2)
    trail = store.audit_trail(INTEGRATION)
    assert {(e.customer_id, e.actor) for e in trail} == {("2", "sync"), ("4", "sync")}
    assert all("accepted automatically" in e.action for e in trail)


def test_a_second_reconcile_with_nothing_changed_writes_nothing(aws: Runtime) -> None:
    run(aws)
    with tables.counting_calls() as calls:
        outcome = run(aws)

    assert outcome.writes == 0
    assert outcome.matched == 1 and outcome.newly_matched == 0
    assert set(calls.calls) == {"Query"}, calls.calls


def test_ignored_customers_stay_ignored_and_are_not_counted_as_unmatched(aws: Runtime) -> None:
    run(aws)
    record = store.get_match(INTEGRATION, "5")
    store.write_reconciled(
        [dataclasses.replace(record, status="Ignored", version=record.version + 1)]
    )

    outcome = run(aws, auto=True)

    assert (outcome.unmatched, outcome.ignored) == (1, 1)
    assert store.get_match(INTEGRATION, "5").status == "Ignored"


def test_a_match_is_kept_until_its_organization_is_deleted(aws: Runtime) -> None:
    run(aws, auto=True)
    renamed = [*CUSTOMERS[:1], customer("2", "Fabrikam Holdings"), *CUSTOMERS[2:]]
    assert run(aws, renamed).matches["2"] == "o-fabrikam"

    without_fabrikam = [o for o in ORGS if o.organization_id != "o-fabrikam"]
    outcome = run(aws, renamed, organizations=without_fabrikam)

    assert "2" not in outcome.matches
    assert store.get_match(INTEGRATION, "2").status == "Unmatched"
    assert customers_for_organization(aws, admin(aws), "o-fabrikam") == []


def test_customers_no_longer_received_are_hidden_and_keep_their_decision(aws: Runtime) -> None:
    run(aws)
    outcome = run(aws, CUSTOMERS[1:])

    assert outcome.matches == {}
    assert screen(aws, admin(aws), INTEGRATION, tab="matched").counts["Matched"] == 0
    assert customers_for_organization(aws, admin(aws), "o-contoso") == []

    back = run(aws)
    assert back.matches == {"1": "o-contoso"}
    assert customers_for_organization(aws, admin(aws), "o-contoso") == [(INTEGRATION, "1")]


def test_the_card_index_lists_the_customers_matched_to_an_organization(aws: Runtime) -> None:
    run(aws, [*CUSTOMERS, customer("6", "Contoso")], auto=True)

    assert customers_for_organization(aws, admin(aws), "o-contoso") == [
        (INTEGRATION, "1"),
        (INTEGRATION, "6"),
    ]
    assert customers_for_organization(aws, as_admin(aws, "another-account"), "o-contoso") == []


def test_a_change_made_during_the_sync_wins_over_the_sync(
    aws: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(aws)
    before = store.get_match(INTEGRATION, "2")
    # A person ignores customer 2 after the sync read it but before it writes.
    ignored = dataclasses.replace(before, status="Ignored", version=before.version + 1)

    original = store.matches_of_integration

    def read_then_race(integration_id: str) -> list[store.CustomerMatch]:
        records = original(integration_id)
        store.write_reconciled([ignored])
        return records

    monkeypatch.setattr(store, "matches_of_integration", read_then_race)
    outcome = run(aws, auto=True)

    assert store.get_match(INTEGRATION, "2").status == "Ignored"
    assert "2" not in outcome.matches
    assert outcome.ignored == 1
    assert outcome.matches["4"] == "o-smith"


def test_exact_means_exact(aws: Runtime) -> None:
    outcome = run(aws, [customer("1", " contoso "), customer("2", "Contoso\u200b")])

    assert outcome.matches == {"2": "o-contoso"}
