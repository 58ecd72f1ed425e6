"""On DynamoDB Local: the REST API's one-write admission (key stamp + hourly budget) under races.

Many threads and several keys of one partner spend one budget: never more than it, exactly it when
calls outnumber it, including when they race across an hour's turn on clocks a moment apart (each
hour's spend is started by the write that spends it, never reset); a key revoked while calls are
in flight is refused by every call that starts after the revocation; a refused call spends
nothing; hours an idle partner left behind do not pile up on its access item.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import NotAuthenticated
from chalicelib.portal import api_admission, api_keys, catalog, rate_limit, rest_api
from chalicelib.storage import tables
from chalicelib.storage.portal import api_keys as api_key_store
from chalicelib.storage.portal import api_usage as usage_store
from chalicelib.storage.portal.api_keys import key_stamp
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


def _at(company_id: str, public_key: str, cost: int, when: dt.datetime,
        seen: tuple[str, ...] = ()) -> usage_store.Admission:
    """One admission of a key of the company at `when`, as a process whose clock says `when`."""
    stamp = key_stamp(company_id, public_key, None)
    return usage_store.admit(usage_store.Call(company_id, public_key, stamp, cost, when, seen),
                             lambda: 0)


def _hours_held(company_id: str) -> list[str]:
    item = tables.connection().client.get_item(
        TableName=usage_store.ApiUsageModel.Meta.table_name, ConsistentRead=True,
        Key={"company_id": {"S": company_id}, "hour": {"S": usage_store.ACCESS}})["Item"]
    return sorted(name for name in item if name.startswith(usage_store.HOUR_PREFIX))


def test_a_clock_a_moment_behind_never_reopens_the_hour_before(ddb):
    """At an hour's turn, a process whose clock is behind charges the hour already opened: it
    cannot start its own (past) hour again and so hand out the budget twice."""
    partner = make_partner(customers=(), budget=3)
    company_id = partner.company.company_id
    ahead = dt.datetime(2030, 1, 1, 10, 0, 1, tzinfo=dt.UTC)
    behind = ahead - dt.timedelta(seconds=2)
    assert _at(company_id, partner.public_key, 2, ahead).charged
    assert _at(company_id, partner.public_key, 1, behind).charged
    refused = _at(company_id, partner.public_key, 1, behind)
    assert (refused.charged, refused.used) == (False, 3)
    assert usage_store.api_usage(company_id, "2030-01-01T10") == 3
    assert usage_store.api_usage(company_id, "2030-01-01T09") == 0
    assert _hours_held(company_id) == ["used#2030-01-01T10"]


def test_twelve_threads_of_four_keys_across_an_hours_turn_never_overspend_either_hour(ddb):
    """Calls on clocks a moment apart race across 10:00: each hour is started once (by the
    write that spends it) and never reset; neither hour passes the budget; every unit charged
    is in one of them, and the later hour is spent to the last unit it can sell."""
    partner = make_partner(customers=(), budget=30)
    company_id = partner.company.company_id
    keys = [partner.public_key] + [
        api_keys.issue(ddb, company_id, f"key {n}", "tests").key.public_key for n in range(3)]
    turn = dt.datetime(2030, 3, 1, 10, tzinfo=dt.UTC)
    jobs = [(keys[n % 4], 2 if n % 5 == 0 else 1,
             turn + dt.timedelta(milliseconds=(n % 3 - 1) * 700)) for n in range(150)]
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda job: (job[1], _at(company_id, *job)), jobs))
    charged = sum(cost for cost, admitted in outcomes if admitted.charged)
    before = usage_store.api_usage(company_id, "2030-03-01T09")
    after = usage_store.api_usage(company_id, "2030-03-01T10")
    assert before <= 30 and after <= 30
    assert charged == before + after
    assert after >= 29  # at most one unit left that only a 2-unit call wanted
    assert any(not admitted.charged for _, admitted in outcomes)


def test_spend_attributes_of_idle_hours_do_not_pile_up(ddb):
    """A partner busy at 05 and 06, idle until 11: the process that saw the item removes the
    hours gone by in its first write at 11; a process that saw nothing yet removes them in its
    next one. The item never holds more than this hour and the one before for long."""
    partner = make_partner(customers=(), budget=100)
    company_id, key = partner.company.company_id, partner.public_key
    day = dt.datetime(2030, 4, 1, tzinfo=dt.UTC)
    _at(company_id, key, 1, day.replace(hour=5))
    warm = _at(company_id, key, 1, day.replace(hour=6))
    assert _hours_held(company_id) == ["used#2030-04-01T05", "used#2030-04-01T06"]
    _at(company_id, key, 1, day.replace(hour=11), warm.hours)
    assert _hours_held(company_id) == ["used#2030-04-01T11"]

    _at(company_id, key, 1, day.replace(hour=12))
    cold = _at(company_id, key, 1, day.replace(hour=17))  # a process that saw nothing before
    assert _hours_held(company_id) == ["used#2030-04-01T11", "used#2030-04-01T12",
                                       "used#2030-04-01T17"]
    _at(company_id, key, 1, day.replace(hour=17, minute=5), cold.hours)
    assert _hours_held(company_id) == ["used#2030-04-01T17"]


def test_a_counter_from_before_per_hour_spends_still_counts_in_its_hour(ddb, frozen_time):
    """An access item written before: its `window`/`used` counter of this hour is carried into
    the hour's attribute by the first call, so the upgrade hands out no budget twice."""
    partner = make_partner(customers=(), budget=5)
    company_id = partner.company.company_id
    hour, _ = rate_limit.hour_window(ddb.clock.now())
    tables.connection().client.update_item(
        TableName=usage_store.ApiUsageModel.Meta.table_name,
        Key={"company_id": {"S": company_id}, "hour": {"S": usage_store.ACCESS}},
        UpdateExpression="SET #w = :w, #u = :u",
        ExpressionAttributeNames={"#w": "window", "#u": "used"},
        ExpressionAttributeValues={":w": {"S": hour}, ":u": {"N": "4"}})
    assert usage_store.api_usage(company_id, hour) == 4
    assert [_call(ddb, *partner.auth) for _ in range(3)] == ["ok", "refused", "refused"]
    assert usage_store.api_usage(company_id, hour) == 5
    assert _hours_held(company_id) == [f"used#{hour}"]


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


def test_a_revocation_among_calls_keeps_a_last_use_that_a_call_made(ddb):
    """Calls on clocks a second apart keep changing the key's last use while it is revoked: the
    revoked record keeps the use of an admitted call, no earlier than the last call that had
    finished before the revocation began, and no call is admitted after it."""
    partner = make_partner(customers=(), budget=100_000)
    company_id, key = partner.company.company_id, partner.public_key
    base = dt.datetime(2030, 5, 1, 8, tzinfo=dt.UTC)
    admitted: list[dt.datetime] = []
    finished_before: list[dt.datetime] = []
    started = threading.Event()

    def call(n: int) -> None:
        when = base + dt.timedelta(seconds=n)
        if _at(company_id, key, 1, when).charged:
            admitted.append(when)
            if not started.is_set():
                finished_before.append(when)

    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(call, n) for n in range(60)]
        started.set()
        api_keys.revoke(ddb, partner.admin, key)
        later = [pool.submit(call, n) for n in range(1000, 1010)]
        for job in running + later:
            job.result()
    record = api_key_store.get_api_key(key, consistent=True)
    assert record.revoked_at is not None and record.last_used_at in admitted
    assert record.last_used_at >= max(finished_before, default=base)
    assert all(when < base + dt.timedelta(seconds=1000) for when in admitted)


def test_a_partner_from_before_budgets_on_the_access_item_is_charged_by_its_companys_budget(
        ddb):
    """An access item without the budget's copy (a partner from before): the first call puts the
    company's budget on it, and calls racing it never pass that budget."""
    partner = make_partner(customers=(), budget=7)
    company_id = partner.company.company_id
    names = [usage_store.BUDGET] + [usage_store.room_name(c)
                                    for c in range(1, usage_store.MAX_COST + 1)]
    tables.connection().client.update_item(
        TableName=usage_store.ApiUsageModel.Meta.table_name,
        Key={"company_id": {"S": company_id}, "hour": {"S": usage_store.ACCESS}},
        UpdateExpression="REMOVE " + ", ".join(f"#n{n}" for n in range(len(names))),
        ExpressionAttributeNames={f"#n{n}": name for n, name in enumerate(names)})
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda _: _call(ddb, *partner.auth), range(20)))
    assert outcomes.count("ok") == 7 and outcomes.count("refused") == 13
    assert _spent(ddb, company_id) == 7
