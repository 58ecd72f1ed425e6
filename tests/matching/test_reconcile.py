"""A sync's matching decisions as a pure function: no storage, only standings in and changes out."""

from __future__ import annotations

import dataclasses
import datetime as dt

from chalicelib.matching.reconcile import (
    ACCEPTED_AUTOMATICALLY,
    IGNORED,
    MATCHED,
    ORGANIZATION_GONE,
    UNMATCHED,
    Change,
    Standing,
    SyncedCustomer,
    reconcile,
    tally,
)

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)
ORGANIZATIONS = {"o-contoso": "Contoso", "o-fabrikam": "Fabrikam, Inc."}


def customer(customer_id: str, name: str) -> SyncedCustomer:
    return SyncedCustomer(customer_id, name, f"{customer_id}.example.com", "Office365")


CUSTOMERS = [customer("1", "Contoso"), customer("2", "Fabrikam Inc"), customer("3", "Tailspin")]


def decide(
    standings: dict[str, Standing],
    *,
    customers: list[SyncedCustomer] = CUSTOMERS,
    organizations: dict[str, str] = ORGANIZATIONS,
    auto: bool = False,
    now: dt.datetime = NOW,
) -> dict[str, Change]:
    return reconcile(customers, organizations, standings, accept_automatically=auto, now=now)


def applied(standings: dict[str, Standing], changes: dict[str, Change]) -> dict[str, Standing]:
    return {**standings, **{cid: change.standing for cid, change in changes.items()}}


def test_a_first_reconcile_decides_every_customer_and_a_second_changes_nothing() -> None:
    changes = decide({})

    assert {cid: c.standing.status for cid, c in changes.items()} == {
        "1": MATCHED,
        "2": UNMATCHED,
        "3": UNMATCHED,
    }
    assert changes["1"].standing.matched_by == "exact"
    assert changes["2"].standing.suggested_organization_id == "o-fabrikam"
    assert changes["3"].standing.suggested_organization_id is None
    assert all(c.audit_action is None for c in changes.values())
    assert decide(applied({}, changes), now=LATER) == {}


def test_accept_all_automatically_accepts_the_suggestion_and_audits_it() -> None:
    changes = decide({}, auto=True)

    assert changes["2"].standing.status == MATCHED
    assert changes["2"].standing.matched_by == "suggestion"
    assert changes["2"].audit_action == ACCEPTED_AUTOMATICALLY


def test_decisions_stand_until_their_organization_is_deleted() -> None:
    standings = applied({}, decide({}, auto=True))
    standings["3"] = dataclasses.replace(standings["3"], status=IGNORED)

    assert decide(standings, now=LATER) == {}
    gone = decide(standings, organizations={"o-contoso": "Contoso"}, now=LATER)

    assert set(gone) == {"2"}
    assert (gone["2"].standing.status, gone["2"].standing.organization_id) == (UNMATCHED, None)
    assert gone["2"].audit_action == ORGANIZATION_GONE


def test_a_customer_a_person_unmatched_is_not_matched_by_its_exact_name_again() -> None:
    standings = applied({}, decide({}))
    standings["1"] = dataclasses.replace(
        standings["1"], status=UNMATCHED, organization_id=None, matched_by=None, held=True
    )

    changes = decide(standings, auto=True, now=LATER)

    assert changes["1"].standing.status == UNMATCHED
    assert changes["1"].standing.suggested_organization_id == "o-contoso"


def test_customers_no_longer_received_are_marked_absent_and_keep_their_decision() -> None:
    standings = applied({}, decide({}))

    absent = decide(standings, customers=CUSTOMERS[1:], now=LATER)
    assert set(absent) == {"1"} and absent["1"].standing.absent_since == LATER
    assert absent["1"].standing.status == MATCHED

    back = decide(applied(standings, absent), now=LATER)
    assert back["1"].standing.absent_since is None and back["1"].standing.status == MATCHED


def test_tally_counts_what_the_received_customers_are_left_with() -> None:
    before = applied({}, decide({}))
    after = applied(before, decide(before, auto=True, now=LATER))

    outcome = tally(list(after.values()), before, writes=1)

    assert outcome.matches == {"1": "o-contoso", "2": "o-fabrikam"}
    assert (outcome.matched, outcome.unmatched, outcome.ignored) == (2, 1, 0)
    assert (outcome.newly_matched, outcome.writes) == (1, 1)
