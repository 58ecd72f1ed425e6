"""The one-off upgrade that stamps REST API keys made before stamps existed: afterwards such a key
is admitted by one conditional write, like a new one, and still refused at once when revoked; a
revoked key, or one revoked or re-scoped while the upgrade runs, gets no stamp that lets it in."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import StorageUnavailable
from chalicelib.portal import api_admission, api_keys, catalog
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.portal import api_key_backfill, api_usage
from chalicelib.storage.portal import api_keys as key_store
from tests.portal.helpers import Partner, make_partner
from tests.web_client import Reply, WebClient

TWO = ((catalog.OFFICE365, 2, True), (catalog.OFFICE365, 2, False))
NOTHING = api_admission.Wanted(None, None)


def unstamp(company_id: str, public_key: str) -> None:
    """Make a key look like one created before stamps (its stamp never written)."""
    tables.connection().client.update_item(
        TableName=api_usage.ApiUsageModel.Meta.table_name,
        Key={"company_id": {"S": company_id}, "hour": {"S": api_usage.ACCESS}},
        UpdateExpression="REMOVE #key",
        ExpressionAttributeNames={"#key": api_usage.stamp_name(public_key)})


def access_item(company_id: str) -> dict[str, Any]:
    answer = tables.connection().client.get_item(
        TableName=api_usage.ApiUsageModel.Meta.table_name, ConsistentRead=True,
        Key={"company_id": {"S": company_id}, "hour": {"S": api_usage.ACCESS}})
    item: dict[str, Any] = answer.get("Item", {})
    return item


def stamp_of(company_id: str, public_key: str) -> str | None:
    value = access_item(company_id).get(api_usage.stamp_name(public_key))
    return None if value is None else str(value["S"])


def admission_calls(rt: Runtime, public_key: str, secret: str) -> dict[str, int]:
    """The DynamoDB calls of one admission of a key this process verified already."""
    api_admission.admit(rt, public_key, secret, "domains", NOTHING)
    with tables.counting_calls() as calls:
        api_admission.admit(rt, public_key, secret, "domains", NOTHING)
    return dict(calls.calls)


def new_process(rt: Runtime, public_key: str, secret: str) -> None:
    """Forget what this process verified, as a process started after the upgrade would."""
    api_keys.verified_secrets(rt).forget(api_keys.VerifiedSecrets.digest(public_key, secret))


def seats(client: WebClient, partner: Partner, customer_id: int) -> Reply:
    return client.get(f"/api/v1/saas/{customer_id}/seats",
                      headers={"authorization": partner.authorization})


def test_an_old_key_is_admitted_by_one_write_after_the_upgrade_and_refused_once_revoked(
        client, aws):
    partner = make_partner(customers=TWO)
    company_id, first = partner.company.company_id, partner.customers[0].saas_customer_id
    unstamp(company_id, partner.public_key)
    new_process(aws, *partner.auth)
    assert admission_calls(aws, *partner.auth) == {"BatchGetItem": 1, "UpdateItem": 1}

    assert api_key_backfill.stamp_unstamped() == 1
    assert stamp_of(company_id, partner.public_key) == key_store.key_stamp(
        company_id, partner.public_key, None)
    new_process(aws, *partner.auth)
    assert admission_calls(aws, *partner.auth) == {"UpdateItem": 1}
    assert seats(client, partner, first).status == 200

    api_keys.revoke(aws, partner.admin, partner.public_key)
    refused = seats(client, partner, first)
    assert refused.status == 401 and partner.seats[first][0].remote_id not in refused.text
    assert stamp_of(company_id, partner.public_key) is None


def test_a_scoped_old_key_gets_the_stamp_of_its_scope_and_still_sees_only_it(client, aws):
    partner = make_partner(customers=TWO)
    company_id = partner.company.company_id
    first, second = (c.saas_customer_id for c in partner.customers)
    api_keys.change_scope(aws, partner.admin, partner.public_key, [second])
    unstamp(company_id, partner.public_key)
    new_process(aws, *partner.auth)

    assert api_key_backfill.stamp_unstamped() == 1
    assert stamp_of(company_id, partner.public_key) == key_store.key_stamp(
        company_id, partner.public_key, frozenset({second}))
    assert admission_calls(aws, *partner.auth) == {"UpdateItem": 1}
    assert seats(client, partner, first).status == 403
    assert seats(client, partner, second).status == 200


def test_a_partner_with_no_access_item_yet_gets_one_holding_the_stamp(aws):
    partner = make_partner(customers=())
    company_id = partner.company.company_id
    tables.connection().client.delete_item(
        TableName=api_usage.ApiUsageModel.Meta.table_name,
        Key={"company_id": {"S": company_id}, "hour": {"S": api_usage.ACCESS}})

    assert api_key_backfill.stamp_unstamped() == 1
    assert set(access_item(company_id)) == {"company_id", "hour",
                                            api_usage.stamp_name(partner.public_key)}
    assert admission_calls(aws, *partner.auth) == {"UpdateItem": 1}


def test_a_revoked_old_key_gets_no_stamp_and_stays_refused(client, aws):
    partner = make_partner(customers=TWO)
    company_id, first = partner.company.company_id, partner.customers[0].saas_customer_id
    api_keys.revoke(aws, partner.admin, partner.public_key)
    # revoked by the old code, which never wrote stamps: nothing removed, nothing there
    unstamp(company_id, partner.public_key)

    assert api_key_backfill.stamp_unstamped() == 0
    assert stamp_of(company_id, partner.public_key) is None
    assert seats(client, partner, first).status == 401


def _revoked_under_the_upgrade(rt: Runtime, partner: Partner,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Revoke the key just after the upgrade read its record live, before it writes the stamp."""
    read = key_store.get_api_key

    def read_then_revoke(public_key: str, consistent: bool = False) -> key_store.ApiKey | None:
        key = read(public_key, consistent)
        if key is not None and key.revoked_at is None:
            api_keys.revoke(rt, partner.admin, public_key)
        return key

    monkeypatch.setattr(api_key_backfill, "get_api_key", read_then_revoke)


def test_a_key_revoked_while_the_upgrade_runs_gets_no_stamp(client, aws, monkeypatch):
    partner = make_partner(customers=TWO)
    company_id, first = partner.company.company_id, partner.customers[0].saas_customer_id
    unstamp(company_id, partner.public_key)
    assert seats(client, partner, first).status == 200  # verified and remembered as unstamped
    _revoked_under_the_upgrade(aws, partner, monkeypatch)

    assert api_key_backfill.stamp_unstamped() == 0
    assert stamp_of(company_id, partner.public_key) is None
    assert seats(client, partner, first).status == 401
    new_process(aws, *partner.auth)
    assert seats(client, partner, first).status == 401


def test_a_key_re_scoped_by_the_old_code_while_the_upgrade_runs_gets_its_new_scope(
        client, aws, monkeypatch):
    """A scope written without a stamp (an older version still serving during the deploy) after
    the upgrade read the record: the stamp of the scope read is refused, that of the new one set."""
    partner = make_partner(customers=TWO)
    company_id = partner.company.company_id
    first, second = (c.saas_customer_id for c in partner.customers)
    unstamp(company_id, partner.public_key)
    read, reads = key_store.get_api_key, []

    def read_then_rescope(public_key: str, consistent: bool = False) -> key_store.ApiKey | None:
        reads.append(public_key)
        key = read(public_key, consistent)
        if len(reads) == 1:
            key_store.ApiKeyModel(public_key).update(
                actions=[key_store.ApiKeyModel.customers.set({second})])
        return key

    monkeypatch.setattr(api_key_backfill, "get_api_key", read_then_rescope)
    assert api_key_backfill.stamp_unstamped() == 1
    assert len(reads) == 2
    assert stamp_of(company_id, partner.public_key) == key_store.key_stamp(
        company_id, partner.public_key, frozenset({second}))
    assert seats(client, partner, first).status == 403
    assert seats(client, partner, second).status == 200


def test_running_it_twice_changes_nothing(aws):
    old, new = make_partner(customers=TWO), make_partner(customers=())
    company_id = old.company.company_id
    unstamp(company_id, old.public_key)
    extra = api_keys.issue(aws, company_id, "second", "tests", customers=[
        old.customers[1].saas_customer_id])
    unstamp(company_id, extra.key.public_key)
    new_stamp = stamp_of(new.company.company_id, new.public_key)

    assert api_key_backfill.stamp_unstamped() == 2
    stored = access_item(company_id), key_store.get_api_key(old.public_key, consistent=True)
    with tables.counting_calls() as calls:
        assert api_key_backfill.stamp_unstamped() == 0
    assert set(calls.calls) == {"Scan", "GetItem"}  # nothing written
    assert (access_item(company_id), key_store.get_api_key(old.public_key, True)) == stored
    assert stamp_of(new.company.company_id, new.public_key) == new_stamp
    assert admission_calls(aws, extra.key.public_key, extra.secret) == {"UpdateItem": 1}


def test_a_throttled_upgrade_stops_with_the_error_and_a_second_run_finishes(aws, monkeypatch):
    first, second = make_partner(customers=()), make_partner(customers=())
    for partner in (first, second):
        unstamp(partner.company.company_id, partner.public_key)
    write, written = api_key_backfill.write_transaction, []

    def throttled_after_one(build: Any) -> frozenset[int]:
        if written:
            raise StorageUnavailable()
        written.append(build)
        return write(build)

    monkeypatch.setattr(api_key_backfill, "write_transaction", throttled_after_one)
    with pytest.raises(StorageUnavailable):
        api_key_backfill.stamp_unstamped()
    stamped = [p for p in (first, second) if stamp_of(p.company.company_id, p.public_key)]
    assert len(stamped) == 1
    for partner in (first, second):  # the one left unstamped still works, read as before
        new_process(aws, *partner.auth)
        admitted = api_admission.admit(aws, *partner.auth, "domains", NOTHING)
        assert admitted.key.public_key == partner.public_key and admitted.usage.cost >= 1

    monkeypatch.setattr(api_key_backfill, "write_transaction", write)
    assert api_key_backfill.stamp_unstamped() == 1
    for partner in (first, second):
        new_process(aws, *partner.auth)
        assert admission_calls(aws, *partner.auth) == {"UpdateItem": 1}

