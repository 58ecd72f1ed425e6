"""A REST API call whose credentials verified earlier in this process is admitted by ONE
conditional write on its partner's access item, which both proves the key live and unchanged (its
stamp) and spends the budget; the path's customer is read beside it and used only once the write
admitted the key of that partner (issue 17). The answers are those of a key read alone: revoked is
401 at once, outside the key's scope 403 at once, another partner's customer 404 like one that
does not exist. Keys made before stamps are read on every call, and obey the same rules."""

from __future__ import annotations

from chalicelib.portal import api_keys, catalog
from chalicelib.storage import tables
from chalicelib.storage.portal import api_usage
from tests.portal.helpers import Partner, basic, make_partner
from tests.web_client import Reply, WebClient

TWO = ((catalog.OFFICE365, 2, True), (catalog.OFFICE365, 2, False))


def _seats(client: WebClient, authorization: str, customer_id: int) -> Reply:
    return client.get(f"/api/v1/saas/{customer_id}/seats",
                      headers={"authorization": authorization})


def _warm(client: WebClient, partner: Partner) -> int:
    customer_id = partner.customers[0].saas_customer_id
    assert _seats(client, partner.authorization, customer_id).status == 200
    return customer_id


def _unstamp(partner: Partner) -> None:
    """Make the partner's key look like one created before stamps (its stamp never written)."""
    tables.connection().client.update_item(
        TableName=api_usage.ApiUsageModel.Meta.table_name,
        Key={"company_id": {"S": partner.company.company_id}, "hour": {"S": api_usage.ACCESS}},
        UpdateExpression="REMOVE #key",
        ExpressionAttributeNames={"#key": api_usage.stamp_name(partner.public_key)})


def test_a_warm_key_is_one_write_with_the_customer_read_beside_it(client, aws):
    partner = make_partner(customers=TWO)
    customer_id = _warm(client, partner)
    with tables.counting_calls() as calls:
        reply = _seats(client, partner.authorization, customer_id)
    assert reply.status == 200 and len(reply.json) == 2
    assert dict(calls.calls) == {"UpdateItem": 1, "BatchGetItem": 1, "Query": 1}


def test_the_first_call_reads_the_key_record_with_the_customer_and_answers_the_same(client, aws):
    partner = make_partner(customers=TWO)
    customer_id = partner.customers[0].saas_customer_id
    with tables.counting_calls() as calls:
        first = _seats(client, partner.authorization, customer_id)
    # the key record with the customer and the seat list's sizes, consistently, before argon2id;
    # then the admission and the page: 3, as a warm key
    assert dict(calls.calls) == {"BatchGetItem": 1, "UpdateItem": 1, "Query": 1}
    assert first.status == 200 and len(first.json) == 2
    assert first.json == _seats(client, partner.authorization, customer_id).json


def test_a_key_made_before_stamps_is_read_on_every_call_and_obeys_at_once(client, aws):
    partner = make_partner(customers=TWO)
    first, second = (c.saas_customer_id for c in partner.customers)
    _unstamp(partner)
    assert _seats(client, partner.authorization, first).status == 200
    with tables.counting_calls() as calls:
        assert _seats(client, partner.authorization, first).status == 200
    assert dict(calls.calls) == {"BatchGetItem": 1, "UpdateItem": 1, "Query": 1}
    api_keys.change_scope(aws, partner.admin, partner.public_key, [second])
    assert _seats(client, partner.authorization, first).status == 403
    assert _seats(client, partner.authorization, second).status == 200
    api_keys.revoke(aws, partner.admin, partner.public_key)
    assert _seats(client, partner.authorization, second).status == 401


def test_a_key_revoked_before_stamps_existed_is_refused_warm_or_cold(client, aws):
    partner = make_partner(customers=TWO)
    customer_id = _warm(client, partner)
    _unstamp(partner)  # as if its stamp had never been written: the record still decides
    api_keys.revoke(aws, partner.admin, partner.public_key)
    assert _seats(client, partner.authorization, customer_id).status == 401
    api_keys.verified_secrets(aws).forget(api_keys.VerifiedSecrets.digest(partner.public_key,
                                                                          partner.secret))
    assert _seats(client, partner.authorization, customer_id).status == 401


def test_another_partners_customer_is_404_like_one_that_does_not_exist(client, aws):
    mine, theirs = make_partner(customers=TWO), make_partner(customers=TWO)
    _warm(client, mine)
    foreign = _seats(client, mine.authorization, theirs.customers[0].saas_customer_id)
    absent = _seats(client, mine.authorization, 999_999_999)
    assert foreign.status == absent.status == 404
    assert foreign.json == absent.json == {"code": "not_found",
                                           "message": "No such SaaS Protection customer."}
    assert theirs.customers[0].name not in foreign.text


def test_a_key_revoked_after_a_call_is_refused_at_the_next_one(client, aws):
    partner = make_partner(customers=TWO)
    customer_id = _warm(client, partner)
    api_keys.revoke(aws, partner.admin, partner.public_key)
    refused = _seats(client, partner.authorization, customer_id)
    assert refused.status == 401 and partner.seats[customer_id][0].remote_id not in refused.text


def test_a_scope_narrowed_after_a_call_applies_at_the_next_one(client, aws):
    partner = make_partner(customers=TWO)
    first, second = (c.saas_customer_id for c in partner.customers)
    _warm(client, partner)
    api_keys.change_scope(aws, partner.admin, partner.public_key, [second])
    assert _seats(client, partner.authorization, first).status == 403
    assert _seats(client, partner.authorization, second).status == 200


def test_a_wrong_secret_for_a_warm_key_is_refused(client, aws):
    partner = make_partner(customers=TWO)
    customer_id = _warm(client, partner)
    wrong = basic(partner.public_key, partner.secret[:-2] + "xx")
    assert _seats(client, wrong, customer_id).status == 401
    assert _seats(client, partner.authorization, customer_id).status == 200
