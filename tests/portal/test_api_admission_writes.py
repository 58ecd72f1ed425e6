"""What the REST API's one admission write carries besides the key check (issue 17): the key's
last use (no separate "touch" write), the hour's spend started by the same write (no second write
for a new hour) and the partner's budget copied on the access item (no budget read), and how many
DynamoDB calls a call costs for a key this process has not seen yet.

The first call of a key this process never saw reads its record with the list's sizes (its public
key names the partner), then writes the admission, then the page's Query: 3 calls, where it was 7
(a budget read, a second write opening the hour, a last-use write and the record's own read are
gone). Every later call, in a new hour too, is 3. A key of the format before (naming no partner)
has its record read alone first: 4 on a process's first call, then 3.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from chalicelib.portal import api_keys, rate_limit
from chalicelib.storage import tables
from chalicelib.storage.portal import api_usage
from chalicelib.storage.portal.api_keys import get_api_key
from tests.portal.helpers import Partner, make_partner
from tests.web_client import Reply, WebClient

ACCESS_KEY = {"hour": {"S": api_usage.ACCESS}}


def _domains(client: WebClient, partner: Partner) -> Reply:
    return client.get("/api/v1/saas/domains", headers={"authorization": partner.authorization})


def _forget(aws, partner: Partner) -> None:
    """As a process that never verified these credentials (another Lambda container)."""
    api_keys.verified_secrets(aws).forget(api_keys.VerifiedSecrets.digest(*partner.auth))


def _access_item(partner: Partner) -> dict:
    return tables.connection().client.get_item(
        TableName=api_usage.ApiUsageModel.Meta.table_name, ConsistentRead=True,
        Key={"company_id": {"S": partner.company.company_id}, **ACCESS_KEY})["Item"]


def test_a_fresh_key_in_a_new_hour_is_three_calls_as_in_steady_state(client, aws, frozen_time):
    partner = make_partner()
    assert partner.public_key.startswith(partner.company.company_id)  # it names its partner
    frozen_time.advance(hours=1)
    _forget(aws, partner)
    with tables.counting_calls() as first:
        reply = _domains(client, partner)
    assert reply.status == 200 and reply.headers["x-total-count"] == "2"
    # the key record with the list's sizes, then the admission, then the page
    assert dict(first.calls) == {"BatchGetItem": 1, "UpdateItem": 1, "Query": 1}

    with tables.counting_calls() as steady:
        assert _domains(client, partner).json == reply.json
    frozen_time.advance(hours=1)
    with tables.counting_calls() as next_hour:
        assert _domains(client, partner).headers["x-api-limit-remaining"] == "9999"
    assert dict(steady.calls) == dict(next_hour.calls) == {
        "UpdateItem": 1, "BatchGetItem": 1, "Query": 1}


def test_a_fresh_key_of_the_format_before_is_four_calls_then_three(client, aws, frozen_time):
    partner = make_partner()
    old = api_keys.issue(aws, partner.company.company_id, "old", "tests",
                         public_key=aws.random.hex(16))  # 32 hex digits: names no partner
    holder = replace(partner, public_key=old.key.public_key, secret=old.secret)
    frozen_time.advance(hours=1)
    with tables.counting_calls() as first:
        reply = _domains(client, holder)
    assert reply.status == 200 and reply.headers["x-total-count"] == "2"
    # the key record alone (it alone names the partner), the admission beside the sizes, the page
    assert dict(first.calls) == {"GetItem": 1, "UpdateItem": 1, "BatchGetItem": 1, "Query": 1}
    with tables.counting_calls() as steady:
        assert _domains(client, holder).json == reply.json
    assert dict(steady.calls) == {"UpdateItem": 1, "BatchGetItem": 1, "Query": 1}


def test_the_admission_write_records_the_keys_last_use_for_the_keys_page(client, aws,
                                                                         frozen_time):
    partner = make_partner(customers=())
    assert _domains(client, partner).status == 200
    frozen_time.advance(minutes=7)
    with tables.counting_calls() as calls:
        assert _domains(client, partner).status == 200
    assert calls.calls["UpdateItem"] == 1  # the admission alone: no separate last-use write
    seen = api_usage.last_used(partner.company.company_id)
    assert seen == {partner.public_key: frozen_time.now().replace(microsecond=0)}
    assert get_api_key(partner.public_key).last_used_at is None  # the record is not written


def test_revoking_moves_the_last_use_to_the_record_even_when_a_call_lands_meanwhile(
        client, aws, frozen_time, monkeypatch):
    partner = make_partner(customers=())
    assert _domains(client, partner).status == 200
    earlier = frozen_time.now().replace(microsecond=0)
    frozen_time.advance(minutes=4)
    assert _domains(client, partner).status == 200  # lands after the revocation read its use
    reads = iter([{partner.public_key: earlier}])
    real = api_usage.last_used
    monkeypatch.setattr(api_usage, "last_used", lambda c: next(reads, None) or real(c))

    api_keys.revoke(aws, partner.admin, partner.public_key)

    stored = get_api_key(partner.public_key)
    assert stored.revoked_at is not None
    assert stored.last_used_at == earlier + dt.timedelta(minutes=4)
    item = _access_item(partner)
    assert api_usage.stamp_name(partner.public_key) not in item
    assert api_usage.seen_name(partner.public_key) not in item
    assert _domains(client, partner).status == 401


def test_a_budget_change_binds_the_very_next_call(client, aws):
    partner = make_partner(customers=(), budget=10)
    assert _domains(client, partner).headers["x-api-limit-remaining"] == "9"
    rate_limit.set_hourly_budget(partner.company.company_id, 3)
    assert _domains(client, partner).headers["x-api-limit-remaining"] == "1"
    rate_limit.set_hourly_budget(partner.company.company_id, 2)
    refused = _domains(client, partner)
    assert refused.status == 429 and refused.headers["x-api-limit-remaining"] == "0"
    rate_limit.set_hourly_budget(partner.company.company_id, 50)
    assert _domains(client, partner).headers["x-api-limit-remaining"] == "47"


def test_an_access_item_from_before_budgets_gets_the_companys_budget_on_its_first_call(client,
                                                                                      aws):
    partner = make_partner(customers=(), budget=6)
    names = [api_usage.BUDGET, *(api_usage.room_name(c) for c in range(1, 11))]
    tables.connection().client.update_item(
        TableName=api_usage.ApiUsageModel.Meta.table_name,
        Key={"company_id": {"S": partner.company.company_id}, **ACCESS_KEY},
        UpdateExpression="REMOVE " + ", ".join(f"#n{n}" for n in range(len(names))),
        ExpressionAttributeNames={f"#n{n}": name for n, name in enumerate(names)})

    assert _domains(client, partner).headers["x-api-limit-remaining"] == "5"
    item = _access_item(partner)
    assert item[api_usage.BUDGET] == {"N": "6"} and item["room#5"] == {"N": "1"}
    with tables.counting_calls() as calls:
        assert _domains(client, partner).headers["x-api-limit-remaining"] == "4"
    assert calls.calls["UpdateItem"] == 1 and calls.calls["GetItem"] == 0


@pytest.mark.parametrize("endpoint", sorted(rate_limit.COSTS))
def test_every_endpoints_cost_has_its_room_stored_with_the_budget(endpoint):
    assert 1 <= rate_limit.COSTS[endpoint] <= api_usage.MAX_COST


def test_a_key_in_constant_use_is_still_revoked(client, aws, frozen_time, monkeypatch):
    """Every read of the last use is outdated by a call landing right after it: the revocation
    still happens, on its last attempt, with the last use it read."""
    partner = make_partner(customers=())
    assert _domains(client, partner).status == 200
    stale = frozen_time.now().replace(microsecond=0) - dt.timedelta(minutes=1)
    monkeypatch.setattr(api_usage, "last_used", lambda company_id: {partner.public_key: stale})

    api_keys.revoke(aws, partner.admin, partner.public_key)

    stored = get_api_key(partner.public_key)
    assert stored.revoked_at is not None and stored.last_used_at == stale
    assert api_usage.stamp_name(partner.public_key) not in _access_item(partner)
    assert _domains(client, partner).status == 401


def test_after_idle_hours_the_first_call_leaves_only_its_hour_on_the_access_item(client, aws,
                                                                                  frozen_time):
    """This process saw the hours it spent in: its first call after idle hours removes them."""
    partner = make_partner(customers=())
    assert _domains(client, partner).status == 200
    frozen_time.advance(hours=1)
    assert _domains(client, partner).status == 200
    assert len([n for n in _access_item(partner) if n.startswith(api_usage.HOUR_PREFIX)]) == 2
    frozen_time.advance(hours=6)
    with tables.counting_calls() as calls:
        assert _domains(client, partner).status == 200
    hour, _ = rate_limit.hour_window(frozen_time.now())
    assert [n for n in _access_item(partner) if n.startswith(api_usage.HOUR_PREFIX)] == [
        api_usage.hour_name(hour)]
    assert calls.calls["UpdateItem"] == 1
