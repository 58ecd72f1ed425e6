"""On DynamoDB Local: first calls of keys that name their partner (every call here as a process
that never verified the key: its record read with the customer, then the admission) racing a
revocation or a scope change, with wrong secrets among them. Every call that starts after the
change obeys it, a wrong secret is refused and spends nothing, and the partner's spend is exactly
the calls let in."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import NotAuthenticated
from chalicelib.portal import api_keys, catalog, rate_limit, rest_api
from chalicelib.storage.portal import api_usage
from tests.portal.helpers import Partner, basic, make_partner

pytestmark = pytest.mark.ddblocal

TWO = ((catalog.OFFICE365, 1, False), (catalog.OFFICE365, 1, False))
CALLS = 24


@pytest.fixture
def every_call_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    """No process remembers a verification: each call is the first of its process."""
    monkeypatch.setattr(api_keys, "verified_secrets", lambda rt: api_keys.VerifiedSecrets())


def _spent(rt, partner: Partner) -> int:
    hour, _ = rate_limit.hour_window(rt.clock.now())
    return api_usage.api_usage(partner.company.company_id, hour)


def _seats_caller(rt, partner: Partner, secret: str) -> rest_api.Caller | None:
    """Admit a seats call of the partner's first customer (None: refused as unauthenticated)."""
    customer = partner.customers[0].saas_customer_id
    try:
        return rest_api.authenticate(rt, basic(partner.public_key, secret), "seats", customer,
                                     "seats")
    except NotAuthenticated:
        return None


def _race(change, call) -> tuple[list, list]:  # type: ignore[no-untyped-def]
    """`call` in 8 threads, `change` made once a few have answered, while others are in flight:
    (outcomes of calls started before it, of calls started after it)."""
    changed, some_answered = threading.Event(), threading.Event()
    before: list = []
    after: list = []

    def one(n: int) -> None:
        was_changed = changed.is_set()
        outcome = call(n)
        (after if was_changed else before).append(outcome)
        if len(before) >= 4:
            some_answered.set()

    with ThreadPoolExecutor(8) as pool:
        running = [pool.submit(one, n) for n in range(CALLS)]
        assert some_answered.wait(60)
        change()
        changed.set()
        running += [pool.submit(one, n) for n in range(CALLS)]
        for job in running:
            job.result()
    return before, after


def test_cold_calls_and_wrong_secrets_racing_a_revocation(ddb, every_call_cold):
    partner = make_partner(customers=TWO, budget=100_000)
    customer = partner.customers[0].saas_customer_id

    def call(n: int) -> tuple[bool, rest_api.Caller | None]:
        good = n % 3 != 0
        return good, _seats_caller(ddb, partner, partner.secret if good else partner.secret + "x")

    before, after = _race(lambda: api_keys.revoke(ddb, partner.admin, partner.public_key), call)

    assert after and all(caller is None for _, caller in after)
    assert all(caller is None for good, caller in before + after if not good)
    admitted = [caller for _, caller in before if caller is not None]
    assert admitted and _spent(ddb, partner) == len(admitted)
    for caller in admitted:  # read with the key, in its company
        assert caller.read_with_key is not None and caller.read_with_key.customer is not None
        assert caller.read_with_key.customer.saas_customer_id == customer
        assert caller.read_with_key.customer.company_id == partner.company.company_id


def test_cold_calls_racing_a_scope_change_obey_it_from_then_on(ddb, every_call_cold):
    partner = make_partner(customers=TWO, budget=100_000)
    first, second = (c.saas_customer_id for c in partner.customers)

    def call(_: int) -> bool:
        caller = _seats_caller(ddb, partner, partner.secret)
        assert caller is not None
        return caller.sees(first)

    before, after = _race(
        lambda: api_keys.change_scope(ddb, partner.admin, partner.public_key, [second]), call)

    assert after and set(after) == {False}
    assert _spent(ddb, partner) == 2 * CALLS  # every call charged once, retried ones too
