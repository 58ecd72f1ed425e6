"""Scoped API keys (issue 16 item 9): a key limited to some customers lists only those, is refused
(403) for the partner's other customers, and still gets 404 for another partner's customer; keys
without a scope (all made before scopes existed) see every customer. Admins choose and change the
scope on Admin > Integrations > API Keys, and every choice is checked and audited."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from app import app
from chalicelib.errors import InvalidInput
from chalicelib.portal import api_keys, catalog
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage.portal import api_keys as key_store
from chalicelib.storage.portal import id_sequences
from chalicelib.storage.portal import saas_customers as customer_store
from chalicelib.storage.portal import saas_seats as seat_store
from chalicelib.storage.portal.audit import portal_security_audit
from tests.portal.helpers import Partner, basic, log_in, make_partner, make_user
from tests.web_client import Reply, WebClient

THREE = ((catalog.OFFICE365, 3, True), (catalog.OFFICE365, 2, False), (catalog.OFFICE365, 2, False))
KEYS_PAGE = "/portal/admin/api-keys"


def _scoped(rt, partner: Partner, *customer_ids: int) -> str:
    """A key of the partner limited to these customers, as its Authorization header."""
    new = api_keys.issue(rt, partner.company.company_id, "scoped", partner.admin.username,
                         customers=customer_ids)
    return basic(new.key.public_key, new.secret)


def _get(api: WebClient, authorization: str, path: str) -> Reply:
    return api.get(f"/api/v1{path}", headers={"authorization": authorization})


def _bulk(api: WebClient, authorization: str, customer, remote_ids: list[str]) -> Reply:
    body = {"seat_type": "User", "action_type": "Pause", "ids": remote_ids}
    return api.request(
        "PUT", f"/api/v1/saas/{customer.saas_customer_id}/{customer.external_subscription_id}"
               "/bulkSeatChange",
        headers={"authorization": authorization, "content-type": "application/json"},
        body=json.dumps(body))


def _states(customer_id: int) -> dict[str, str]:
    return {s.remote_id: s.seat_state for s in seat_store.seats_of_customer(customer_id)}


def _users(partner: Partner, customer_id: int) -> list[str]:
    return [s.remote_id for s in partner.seats[customer_id] if s.seat_type == "User"]


def _forbidden(reply: Reply) -> None:
    assert reply.status == 403, reply
    assert reply.json == {"code": "forbidden",
                          "message": "This API key is not allowed to access this customer."}
    assert reply.headers["x-request-id"]


def test_a_scoped_key_lists_only_its_customers(aws):
    partner = make_partner(customers=THREE)
    first, second, _ = (c.saas_customer_id for c in partner.customers)
    reply = _get(WebClient(app), _scoped(aws, partner, first, second), "/saas/domains")
    assert reply.status == 200
    assert sorted(d["saasCustomerId"] for d in reply.json) == [first, second]


def test_a_scoped_key_is_refused_for_the_partners_other_customers(aws):
    partner = make_partner(customers=THREE)
    inside, outside = partner.customers[0], partner.customers[1]
    api, scoped = WebClient(app), _scoped(aws, partner, inside.saas_customer_id)
    assert _get(api, scoped, f"/saas/{inside.saas_customer_id}/seats").status == 200
    assert _get(api, scoped, f"/saas/{inside.saas_customer_id}/applications").status == 200
    _forbidden(_get(api, scoped, f"/saas/{outside.saas_customer_id}/seats"))
    _forbidden(_get(api, scoped, f"/saas/{outside.saas_customer_id}/applications"))
    before = _states(outside.saas_customer_id)
    _forbidden(_bulk(api, scoped, outside, _users(partner, outside.saas_customer_id)[:1]))
    assert _states(outside.saas_customer_id) == before  # nothing paused
    paused = _bulk(api, scoped, inside, _users(partner, inside.saas_customer_id)[:1])
    assert paused.status == 200


def test_another_partners_customer_and_a_missing_one_stay_404_for_a_scoped_key(aws):
    partner, other = make_partner(customers=THREE), make_partner()
    api = WebClient(app)
    # Even a key whose stored scope names the other partner's id (written past the checks).
    theirs = other.customers[0]
    new = api_keys.issue(aws, partner.company.company_id, "scoped", "tests",
                         customers=[partner.customers[0].saas_customer_id])
    key_store.set_api_key_scope(partner.company.company_id, new.key.public_key,
                                frozenset({theirs.saas_customer_id,
                                           partner.customers[0].saas_customer_id}))
    scoped = basic(new.key.public_key, new.secret)
    for path in (f"/saas/{theirs.saas_customer_id}/seats", "/saas/999999999/seats",
                 f"/saas/{theirs.saas_customer_id}/applications"):
        reply = _get(api, scoped, path)
        assert (reply.status, reply.json["code"]) == (404, "not_found"), path
    reply = _bulk(api, scoped, theirs, _users(other, theirs.saas_customer_id)[:1])
    assert (reply.status, reply.json["code"]) == (404, "not_found")
    domains = _get(api, scoped, "/saas/domains").json
    assert [d["saasCustomerId"] for d in domains] == [partner.customers[0].saas_customer_id]


def test_a_key_without_a_scope_sees_every_customer(aws):
    partner = make_partner(customers=THREE)  # its key is issued as keys were before scopes
    assert key_store.get_api_key(partner.public_key).customers is None
    api = WebClient(app)
    domains = _get(api, partner.authorization, "/saas/domains").json
    assert sorted(d["saasCustomerId"] for d in domains) == sorted(
        c.saas_customer_id for c in partner.customers)
    for customer in partner.customers:
        assert _get(api, partner.authorization,
                    f"/saas/{customer.saas_customer_id}/seats").status == 200


def test_a_scope_naming_another_partners_customer_is_refused(aws):
    partner, other = make_partner(customers=THREE), make_partner()
    mine, theirs = partner.customers[0].saas_customer_id, other.customers[0].saas_customer_id
    with pytest.raises(InvalidInput) as refused:
        api_keys.issue(aws, partner.company.company_id, "mixed", "tests",
                       customers=[mine, theirs])
    assert refused.value.field == "customers"
    assert "1 of the chosen customers are not among your" in refused.value.message
    assert [k.label for k in key_store.api_keys_of_company(partner.company.company_id)] == [
        "tests"]


def test_the_page_creates_a_scoped_key_shows_its_scope_and_audits_it(aws, client):
    partner = make_partner(customers=THREE)
    first, second, third = partner.customers
    assert log_in(client, partner.admin.username).status == 303
    page = client.get(KEYS_PAGE)
    assert 'name="scope" value="all" id="new-key-all" checked>' in page.text
    for customer in partner.customers:
        assert f'name="customers" value="{customer.saas_customer_id}"' in page.text
    created = client.post(KEYS_PAGE, {"label": "Two customers", "scope": "chosen",
                                      "customers": [first.saas_customer_id,
                                                    third.saas_customer_id]})
    assert created.status == 201
    public_key = re.search(r"data-public-key>([^<]+)<", created.text).group(1)
    secret = re.search(r"data-secret-key>([^<]+)<", created.text).group(1)
    listing = client.get(KEYS_PAGE).text
    assert _scope_cell(listing, public_key) == f"{first.name}, {third.name}"
    assert _scope_cell(listing, partner.public_key) == "All customers"
    stored = key_store.get_api_key(public_key)
    assert stored.customers == {first.saas_customer_id, third.saas_customer_id}
    api = WebClient(app)
    _forbidden(_get(api, basic(public_key, secret), f"/saas/{second.saas_customer_id}/seats"))
    (entry,) = portal_security_audit.audit_of(partner.company.company_id)
    assert (entry.actor, entry.action) == (partner.admin.username, "Created API key")
    assert entry.detail == (f"{public_key} (Two customers): 2 chosen: "
                            f"{first.saas_customer_id}, {third.saas_customer_id}")
    assert "Created API key" in client.get("/portal/admin/security").text


def _scope_cell(html: str, public_key: str) -> str:
    row = re.search(rf'<tr data-public-key="{public_key}">(.*?)</tr>', html, re.S).group(1)
    return re.search(r"<td data-key-scope>(.*?)</td>", row, re.S).group(1).strip()


@pytest.mark.parametrize(("fields", "message"), [
    ({"scope": "chosen", "customers": ["¹"]}, "Choose customers from the list."),
    ({"scope": "chosen", "customers": ["١٠٠٠٠١"]}, "Choose customers from the list."),
    ({"scope": "chosen", "customers": ["-1"]}, "Choose customers from the list."),
    ({"scope": "chosen", "customers": ["1" * 19]}, "Choose customers from the list."),
    ({"scope": "chosen", "customers": [""]}, "Choose customers from the list."),
    ({"scope": "chosen", "customers": ["999999999"]},
     "1 of the chosen customers are not among your SaaS Protection customers."),
    ({"scope": "chosen"}, "Tick at least one customer, or choose All customers."),
    ({"scope": "all", "customers": ["1"]}, "You ticked customers but chose All customers"),
    ({"scope": "some"}, "Choose All customers or Only the ticked customers."),
    ({"scope": "chosen", "customers": [str(n) for n in range(1, 502)]},
     "A key can be limited to at most 500 customers"),
])
def test_a_malformed_scope_is_a_400_with_the_forms_message_and_no_key(aws, client, fields,
                                                                         message):
    partner = make_partner(customers=THREE)
    log_in(client, partner.admin.username)
    client.get(KEYS_PAGE)
    reply = client.post(KEYS_PAGE, {"label": "bad", **fields})
    assert reply.status == 400
    assert message in re.search(r'<p class="error" role="alert">(.*?)</p>', reply.text).group(1)
    assert "data-secret-key" not in reply.text
    assert len(key_store.api_keys_of_company(partner.company.company_id)) == 1


def test_changing_the_scope_applies_to_the_very_next_call(aws, client):
    """The verified-secret cache holds only the hash, so it cannot hide a scope change."""
    partner = make_partner(customers=THREE)
    first, second, _ = partner.customers
    new = api_keys.issue(aws, partner.company.company_id, "scoped", "tests",
                         customers=[first.saas_customer_id])
    scoped, api = basic(new.key.public_key, new.secret), WebClient(app)
    path = f"/saas/{second.saas_customer_id}/seats"
    _forbidden(_get(api, scoped, path))
    assert len(api_keys.verified_secrets(aws)) == 1  # the secret is now cached
    log_in(client, partner.admin.username)
    client.get(KEYS_PAGE)
    saved = client.post(f"{KEYS_PAGE}/{new.key.public_key}/scope", {"scope": "all"})
    assert saved.status == 303
    assert "Saved the customers" in client.get(saved.location).text
    assert _get(api, scoped, path).status == 200
    client.post(f"{KEYS_PAGE}/{new.key.public_key}/scope",
                {"scope": "chosen", "customers": [second.saas_customer_id]})
    assert _get(api, scoped, path).status == 200
    _forbidden(_get(api, scoped, f"/saas/{first.saas_customer_id}/seats"))
    assert _scope_cell(client.get(KEYS_PAGE).text, new.key.public_key) == second.name
    actions = [e.action for e in portal_security_audit.audit_of(partner.company.company_id)]
    assert actions == ["Changed API key customers", "Changed API key customers"]


def test_only_live_keys_of_the_admins_company_can_be_rescoped_by_an_admin(aws, client):
    partner, other = make_partner(customers=THREE), make_partner()
    log_in(client, partner.admin.username)
    client.get(KEYS_PAGE)
    theirs = client.post(f"{KEYS_PAGE}/{other.public_key}/scope", {"scope": "all"})
    assert theirs.status == 404
    api_keys.revoke(aws, partner.admin, partner.public_key)
    client.get(KEYS_PAGE)
    revoked = client.post(f"{KEYS_PAGE}/{partner.public_key}/scope",
                          {"scope": "chosen", "customers": [partner.customers[0].saas_customer_id]})
    assert revoked.status == 404
    assert key_store.get_api_key(partner.public_key).customers is None
    technician = make_user(partner.company, role=TECHNICIAN)
    tech_client = WebClient(app)
    log_in(tech_client, technician.username)
    tech_client.get("/portal/")
    refused = tech_client.post(f"{KEYS_PAGE}/{other.public_key}/scope", {"scope": "all"})
    assert refused.status == 403


@pytest.mark.ddblocal
def test_scopes_round_trip_on_dynamodb_local_across_batch_reads(ddb):
    """150 chosen customers take two BatchGetItem requests; the set is stored, changed, removed."""
    partner = make_partner(customers=())
    company_id = partner.company.company_id
    *owned, missing = id_sequences.allocate_ids("saas_customer_id", 151)
    template = make_partner(customers=((catalog.OFFICE365, 1, False),)).customers[0]
    customer_store.save_customers(
        replace(template, company_id=company_id, saas_customer_id=customer_id,
                name=f"Customer {customer_id}") for customer_id in owned)
    new = api_keys.issue(ddb, company_id, "wide", "tests", customers=owned)
    assert key_store.get_api_key(new.key.public_key).customers == frozenset(owned)
    with pytest.raises(InvalidInput) as refused:
        api_keys.issue(ddb, company_id, "one too many", "tests", customers=[*owned, missing])
    assert refused.value.message.startswith("1 of the chosen customers")
    key_store.set_api_key_scope(company_id, new.key.public_key, frozenset(owned[:2]))
    assert key_store.get_api_key(new.key.public_key).customers == frozenset(owned[:2])
    key_store.set_api_key_scope(company_id, new.key.public_key, None)
    assert key_store.get_api_key(new.key.public_key).customers is None

