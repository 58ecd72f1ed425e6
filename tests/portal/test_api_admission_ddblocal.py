"""On DynamoDB Local: the REST API's one-write admission (key stamp + hourly budget) under races.

Many threads and several keys of one partner spend one budget: never more than it, exactly it when
calls outnumber it, including when they race to open a new hour; a key revoked while calls are
in flight is refused by every call that starts after the revocation; a refused call gives its
cost back, so it spends nothing.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import NotAuthenticated
from chalicelib.portal import api_admission, api_keys, catalog, rate_limit, rest_api
from chalicelib.storage.portal import api_usage as usage_store
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.ddblocal

NOTHING = api_admission.Wanted(None, None)


def _call(rt, public_key: str, secret: str, endpoint: str = "domains") -> str:
    try:
        api_admission.admit(rt, public_key, secret, endpoint, NOTHING)
        return "ok"
    except rate_limit.BudgetExceeded as refused:
        assert refused.usage.remaining >= 0 and refused.retry_after >= 1
        return "refused"
    except NotAuthenticated:
        return "unauthenticated"


def _spent(rt, company_id: str) -> int:
    hour, _ = rate_limit.hour_window(rt.clock.now())
    return usage_store.api_usage(company_id, hour)


def test_parallel_calls_of_several_keys_never_overspend_the_shared_budget(ddb):
    partner = make_partner(customers=(), budget=40)
    keys = [(partner.public_key, partner.secret)] + [
        (k.key.public_key, k.secret) for k in (
            api_keys.issue(ddb, partner.company.company_id, f"key {n}", "tests")
            for n in range(3))]
    for public_key, secret in keys:  # each key verified once (argon2id), as in steady state
        assert _call(ddb, public_key, secret) == "ok"
    jobs = [(keys[n % 4], "applications" if n % 3 == 0 else "domains") for n in range(90)]
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda job: (job[1], _call(ddb, *job[0], job[1])), jobs))
    charged = sum(rate_limit.COSTS[endpoint] for endpoint, outcome in outcomes if outcome == "ok")
    assert {outcome for _, outcome in outcomes} == {"ok", "refused"}
    assert charged == _spent(ddb, partner.company.company_id) - 4
    assert 40 - 1 <= charged + 4 <= 40  # at most one unit left unspendable by a 2-unit call


def test_calls_racing_to_open_a_new_hour_open_it_once(ddb, frozen_time):
    partner = make_partner(customers=(), budget=30)
    assert _call(ddb, partner.public_key, partner.secret) == "ok"
    frozen_time.advance(hours=1)
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda _: _call(ddb, partner.public_key, partner.secret),
                                 range(45)))
    assert outcomes.count("ok") == 30 and outcomes.count("refused") == 15
    assert _spent(ddb, partner.company.company_id) == 30


def test_a_key_revoked_while_calls_are_in_flight_is_refused_by_every_later_call(ddb):
    partner = make_partner(customers=(), budget=100_000)
    assert _call(ddb, partner.public_key, partner.secret) == "ok"
    revoked = threading.Event()
    after: list[str] = []

    def call(_: int) -> None:
        was_revoked = revoked.is_set()
        outcome = _call(ddb, partner.public_key, partner.secret)
        if was_revoked:
            after.append(outcome)

    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(call, n) for n in range(40)]
        api_keys.revoke(ddb, partner.admin, partner.public_key)
        revoked.set()
        running += [pool.submit(call, n) for n in range(40)]
        for job in running:
            job.result()
    assert after and set(after) == {"unauthenticated"}


def test_a_clock_a_moment_behind_never_reopens_the_hour_before(ddb):
    """At an hour's turn, a process whose clock is behind charges the hour already opened: it
    cannot reset the counter to its own (past) hour and so hand out the budget twice."""
    partner = make_partner(customers=(), budget=3)
    company_id = partner.company.company_id
    ahead, behind = "2030-01-01T10", "2030-01-01T09"
    assert usage_store.admit(company_id, ahead, 2, 3, None).charged
    assert usage_store.admit(company_id, behind, 1, 3, None).charged
    refused = usage_store.admit(company_id, behind, 1, 3, None)
    assert (refused.charged, refused.used) == (False, 3)
    assert usage_store.api_usage(company_id, ahead) == 3


def test_a_scope_narrowed_while_calls_are_in_flight_binds_every_later_call(ddb):
    partner = make_partner(customers=((catalog.OFFICE365, 1, False), (catalog.OFFICE365, 1, False)),
                           budget=100_000)
    first, second = (c.saas_customer_id for c in partner.customers)
    changed = threading.Event()
    after: list[bool] = []

    def call(_: int) -> None:
        was_changed = changed.is_set()
        caller = rest_api.authenticate(ddb, partner.authorization, "seats", first, "seats")
        if was_changed:
            after.append(caller.sees(first))

    call(0)  # verified once: later calls are admitted by the stamp alone
    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(call, n) for n in range(30)]
        api_keys.change_scope(ddb, partner.admin, partner.public_key, [second])
        changed.set()
        running += [pool.submit(call, n) for n in range(30)]
        for job in running:
            job.result()
    assert after and set(after) == {False}
