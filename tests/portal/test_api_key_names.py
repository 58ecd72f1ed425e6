"""Public API keys name their partner (issue 17): the first call of a key a process has not
verified yet reads the key record in the same BatchGetItem as the partner's customer and list
sizes, checks the secret, and only then writes the admission, so it is 3 DynamoDB calls like any
other. A caller knowing only a public key spends nothing; a key whose record belongs to another
company than its public key names is refused like a wrong secret, revealing nothing of either."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.auth import passwords
from chalicelib.portal import api_key_names, api_keys, catalog, rate_limit
from chalicelib.storage import tables
from chalicelib.storage.portal import api_usage
from chalicelib.storage.portal.api_keys import ApiKey, create_api_key
from chalicelib.sync import integrations
from tests.portal.helpers import Partner, basic, make_partner
from tests.web_client import Reply, WebClient

TWO = ((catalog.OFFICE365, 2, True), (catalog.OFFICE365, 3, False))
BAD_CREDENTIALS = {"code": "not_authenticated", "message": api_keys.BAD_CREDENTIALS}


def _get(client: WebClient, path: str, public_key: str, secret: str) -> Reply:
    return client.get(f"/api/v1/saas/{path}", headers={"authorization": basic(public_key, secret)})


def _spent(aws, partner: Partner) -> int:
    hour, _ = rate_limit.hour_window(aws.clock.now())
    return api_usage.api_usage(partner.company.company_id, hour)


def _last_uses(partner: Partner) -> dict:
    return api_usage.last_used(partner.company.company_id)


def test_a_new_key_names_its_company_and_fits_every_key_check(aws):
    partner = make_partner(customers=())
    made = api_keys.create(aws, partner.admin, "IT Docs")
    public_key = made.key.public_key
    assert len(public_key) == 48 and public_key.startswith(partner.company.company_id)
    assert api_key_names.partner_named(public_key) == partner.company.company_id
    assert api_key_names.partner_named(public_key[:32]) is None  # the format before
    assert api_key_names.partner_named(public_key.upper()) is None
    assert api_keys.basic_credentials(basic(public_key, made.secret)) == (public_key, made.secret)
    assert len(public_key) <= integrations.MAX_KEY_LENGTH  # IT Docs' integration form takes it
    assert made.key.public_key != api_keys.create(aws, partner.admin, "two").key.public_key


def test_a_chosen_public_key_may_not_name_another_company(aws):
    mine, theirs = make_partner(customers=()), make_partner(customers=())
    foreign = theirs.company.company_id + "0" * 16
    with pytest.raises(ValueError):
        api_keys.issue(aws, mine.company.company_id, "stray", "tests", public_key=foreign)


@pytest.mark.parametrize("listing", ["domains", "seats"])
def test_a_fresh_key_in_a_new_hour_is_three_calls(client, aws, frozen_time, listing):
    partner = make_partner(customers=TWO)
    frozen_time.advance(hours=1)
    path = "domains" if listing == "domains" else f"{partner.customers[1].saas_customer_id}/seats"
    with tables.counting_calls() as calls:
        reply = _get(client, path, *partner.auth)
    assert reply.status == 200 and reply.headers["x-api-limit-remaining"] == "9999"
    assert len(reply.json) == (2 if listing == "domains" else 3)
    assert dict(calls.calls) == {"BatchGetItem": 1, "UpdateItem": 1, "Query": 1}
    assert _spent(aws, partner) == 1


@pytest.mark.parametrize("warm", [False, True])
def test_a_wrong_secret_with_a_real_public_key_is_401_and_spends_nothing(client, aws,
                                                                         frozen_time, warm):
    partner = make_partner(customers=TWO)
    if warm:
        assert _get(client, "domains", *partner.auth).status == 200
    spent, seen = _spent(aws, partner), _last_uses(partner)
    frozen_time.advance(minutes=5)

    with tables.counting_calls() as calls:
        refused = _get(client, "domains", partner.public_key, partner.secret + "x")

    assert refused.status == 401 and refused.json == BAD_CREDENTIALS
    assert dict(calls.calls) == {"BatchGetItem": 1}  # no admission written
    assert _spent(aws, partner) == spent and _last_uses(partner) == seen


def test_a_public_key_naming_another_company_is_401_whatever_secret(client, aws):
    mine, theirs = make_partner(customers=TWO), make_partner(customers=TWO)
    forged = theirs.company.company_id + mine.public_key[32:]  # no such key
    assert _get(client, "domains", forged, mine.secret).status == 401
    assert _spent(aws, mine) == _spent(aws, theirs) == 0


def test_a_record_of_one_company_under_a_key_naming_another_is_refused_and_reveals_nothing(
        client, aws):
    """A stray record (company A) stored under a public key naming company B, stamped on A's
    access item: its valid secret is refused, warm or cold, and neither partner is charged."""
    mine, theirs = make_partner(customers=TWO), make_partner(customers=TWO)
    stray, secret = theirs.company.company_id + "f" * 16, "stray-secret-of-company-a"
    create_api_key(ApiKey(stray, mine.company.company_id, passwords.hash_secret(secret), "stray",
                          "tests", aws.clock.now()))
    their_customer = theirs.customers[1].saas_customer_id

    for _ in range(2):  # nothing was remembered by the first refusal
        for path in ("domains", f"{their_customer}/seats"):
            refused = _get(client, path, stray, secret)
            assert refused.status == 401 and refused.json == BAD_CREDENTIALS
            assert "x-total-count" not in refused.headers
    assert api_keys.verified_secrets(aws).known(
        api_keys.VerifiedSecrets.digest(stray, secret)) is None
    assert _spent(aws, mine) == _spent(aws, theirs) == 0
    assert _last_uses(mine) == {} and _last_uses(theirs) == {}


def test_a_revoked_key_is_refused_on_a_fresh_process_and_spends_nothing(client, aws):
    partner = make_partner(customers=TWO)
    api_keys.revoke(aws, partner.admin, partner.public_key)
    with tables.counting_calls() as calls:
        refused = _get(client, "domains", *partner.auth)
    assert refused.status == 401 and dict(calls.calls) == {"BatchGetItem": 1}
    assert _spent(aws, partner) == 0


def test_a_scope_narrowed_between_the_record_read_and_the_admission_binds_that_call(
        client, aws, monkeypatch):
    """The record read on the first call is outdated before its admission is written: the
    write's stamp no longer matches, nothing is charged by it, and the key read again decides."""
    partner = make_partner(customers=TWO)
    first, second = (c.saas_customer_id for c in partner.customers)
    real = api_keys.read_for_call
    reads = []

    def read_then_narrow(*args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(args)
        answer = real(*args, **kwargs)
        if len(reads) == 1:
            api_keys.change_scope(aws, partner.admin, partner.public_key, [second])
        return answer

    monkeypatch.setattr(api_keys, "read_for_call", read_then_narrow)
    with tables.counting_calls() as calls:
        refused = _get(client, f"{first}/seats", *partner.auth)
    assert refused.status == 403
    assert calls.calls["UpdateItem"] == 2  # the stale stamp's write refused, then the fresh one
    assert _spent(aws, partner) == 1  # charged once, by the write that admitted it
    assert _get(client, f"{second}/seats", *partner.auth).status == 200


def test_a_key_of_the_format_before_still_works_and_obeys_revocation(client, aws):
    partner = make_partner(customers=TWO)
    old = api_keys.issue(aws, partner.company.company_id, "old", "tests",
                         public_key=aws.random.hex(16))
    assert api_key_names.partner_named(old.key.public_key) is None
    holder = replace(partner, public_key=old.key.public_key, secret=old.secret)
    assert len(_get(client, "domains", *holder.auth).json) == 2
    assert _get(client, "domains", holder.public_key, holder.secret + "x").status == 401
    api_keys.revoke(aws, partner.admin, holder.public_key)
    assert _get(client, "domains", *holder.auth).status == 401
    assert _get(client, "domains", *partner.auth).status == 200

