"""On DynamoDB Local: the upgrade that stamps keys made before stamps, racing revocations and
scope changes. A key revoked before, during or after its stamp is written ends with no stamp and
is refused; every live key ends with the stamp of its current scope and is admitted by one write."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import NotAuthenticated
from chalicelib.portal import api_admission, api_keys, catalog
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import api_key_backfill
from chalicelib.storage.portal import api_keys as key_store
from tests.portal.helpers import Partner, make_partner
from tests.portal.test_api_key_backfill import (
    NOTHING,
    admission_calls,
    new_process,
    stamp_of,
    unstamp,
)

pytestmark = pytest.mark.ddblocal

TWO = ((catalog.OFFICE365, 1, False), (catalog.OFFICE365, 1, False))
KEYS_PER_PARTNER = 8


def _old_keys(rt: Runtime, partner: Partner) -> list[api_keys.NewApiKey]:
    """Keys as an older version stored them: every other one limited to both customers."""
    both = [c.saas_customer_id for c in partner.customers]
    keys = [api_keys.issue(rt, partner.company.company_id, f"old {n}", "tests",
                           customers=both if n % 2 else None) for n in range(KEYS_PER_PARTNER)]
    for key in keys:
        unstamp(partner.company.company_id, key.key.public_key)
    return keys


def _refused(rt: Runtime, key: api_keys.NewApiKey) -> bool:
    new_process(rt, key.key.public_key, key.secret)
    try:
        api_admission.admit(rt, key.key.public_key, key.secret, "domains", NOTHING)
    except NotAuthenticated:
        return True
    return False


def test_keys_revoked_and_re_scoped_while_the_upgrade_runs(ddb, monkeypatch):
    partners = [make_partner(customers=TWO) for _ in range(3)]
    keys = {p.company.company_id: _old_keys(ddb, p) for p in partners}
    work = [(p, k) for p in partners for k in keys[p.company.company_id]]
    random.Random(17).shuffle(work)
    revoked, rescoped = work[::2], work[1::4]
    scanned, read = threading.Event(), key_store.get_api_key

    def reading(public_key: str, consistent: bool = False) -> key_store.ApiKey | None:
        scanned.set()  # the upgrade has listed the keys and now stamps them one by one
        return read(public_key, consistent)

    monkeypatch.setattr(api_key_backfill, "get_api_key", reading)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(api_key_backfill.stamp_unstamped)
        assert scanned.wait(60)
        during = 0
        for partner, key in revoked:
            during += not running.done()
            api_keys.revoke(ddb, partner.admin, key.key.public_key)
        for partner, key in rescoped:
            api_keys.change_scope(ddb, partner.admin, key.key.public_key,
                                  [partner.customers[0].saas_customer_id])
        running.result()
    assert during >= len(revoked) // 2  # the race did happen: revoked while keys were stamped

    gone = {key.key.public_key for _, key in revoked}
    for partner, key in revoked:
        assert stamp_of(partner.company.company_id, key.key.public_key) is None
        assert _refused(ddb, key)
    for partner, key in work:
        if key.key.public_key in gone:
            continue
        record = key_store.get_api_key(key.key.public_key, consistent=True)
        assert record is not None and record.revoked_at is None
        assert stamp_of(partner.company.company_id, key.key.public_key) == key_store.key_stamp(
            partner.company.company_id, key.key.public_key, record.customers)
        assert admission_calls(ddb, key.key.public_key, key.secret) == {"UpdateItem": 1}


def test_a_key_revoked_between_the_upgrades_read_and_its_write_gets_no_stamp(ddb, monkeypatch):
    partner = make_partner(customers=TWO)
    (key,) = _old_keys(ddb, partner)[:1]
    read = key_store.get_api_key

    def read_then_revoke(public_key: str, consistent: bool = False) -> key_store.ApiKey | None:
        found = read(public_key, consistent)
        if public_key == key.key.public_key and found is not None and found.revoked_at is None:
            api_keys.revoke(ddb, partner.admin, public_key)
        return found

    monkeypatch.setattr(api_key_backfill, "get_api_key", read_then_revoke)
    api_key_backfill.stamp_unstamped()
    assert stamp_of(partner.company.company_id, key.key.public_key) is None
    assert _refused(ddb, key)


def test_a_scope_of_several_customers_matches_in_any_order(ddb):
    partner = make_partner(customers=TWO)
    first, second = (c.saas_customer_id for c in partner.customers)
    key = api_keys.issue(ddb, partner.company.company_id, "old", "tests",
                         customers=[second, first])
    unstamp(partner.company.company_id, key.key.public_key)
    assert api_key_backfill.stamp_unstamped() >= 1
    assert stamp_of(partner.company.company_id, key.key.public_key) == key_store.key_stamp(
        partner.company.company_id, key.key.public_key, frozenset({first, second}))
    assert admission_calls(ddb, key.key.public_key, key.secret) == {"UpdateItem": 1}
