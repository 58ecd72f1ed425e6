"""Connecting checks the keys on the sync queue; the JSON sync endpoint answers 202 at once (the
run goes on in the background) or 429 with Retry-After; the status endpoint reports progress."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.itdocs import accounts, api_keys
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.outbound import HttpResponse
from chalicelib.storage.itdocs import integrations as store
from chalicelib.sync import integrations
from chalicelib.sync.saas_client import SaasClient
from tests.fakes import hold_sync_queue
from tests.portal.helpers import make_partner
from tests.sync.helpers import as_admin, connected, serve_portal


def test_connect_answers_checking_keys_then_shows_refused_keys_and_an_unreachable_host(aws):
    serve_portal(aws)
    held = hold_sync_queue(aws)
    partner = make_partner(customers=())
    admin = as_admin(aws, "acct-1")
    refused = integrations.connect(aws, admin, public_key=partner.public_key,
                                   secret_key="wrong-secret")
    unreachable = integrations.connect(aws, admin, public_key=partner.public_key,
                                       secret_key=partner.secret,
                                       base_url="https://api.example.test/v1")
    assert refused.status == unreachable.status == "Checking keys..."
    assert refused.in_progress and len(held.bodies) == 2
    assert partner.secret not in "".join(held.bodies)  # the message names the keys, never them

    assert held.deliver_all() == 2
    shown = {i.integration_id: i for i in integrations.list_for_account(aws, admin)}
    assert shown[refused.integration_id].status == "Error"
    assert shown[refused.integration_id].status_reason.startswith("Keys refused: ")
    assert "keys were refused" in shown[refused.integration_id].status_reason
    assert shown[unreachable.integration_id].status == "Error"
    assert "could not be reached" in shown[unreachable.integration_id].status_reason
    assert not shown[refused.integration_id].in_progress


def test_good_keys_end_in_never_synced_with_the_customers_they_see(aws):
    serve_portal(aws)
    held = hold_sync_queue(aws)
    partner = make_partner()
    admin = as_admin(aws, "acct-1")
    made = integrations.connect(aws, admin, public_key=partner.public_key,
                                secret_key=partner.secret)
    held.deliver_all()
    shown = integrations.get(aws, admin, made.integration_id)
    assert shown.status == "Never synced"
    assert shown.status_reason == (
        f"Keys accepted: SaaS Protection lists {len(partner.customers)} customers.")


def test_malformed_keys_are_refused_at_once_and_nothing_is_stored_or_sent(aws):
    serve_portal(aws)
    held = hold_sync_queue(aws)
    admin = as_admin(aws, "acct-1")
    with pytest.raises(InvalidInput, match="Secret Key"):
        integrations.connect(aws, admin, public_key="abc", secret_key="  ")
    with pytest.raises(InvalidInput, match="https"):
        integrations.connect(aws, admin, public_key="abc", secret_key="def",
                             base_url="ftp://example.test")
    assert integrations.list_for_account(aws, admin) == [] and held.bodies == []


def test_a_check_of_keys_replaced_since_is_dropped(aws):
    setup = connected(aws)
    iid = setup.integration.integration_id
    held = hold_sync_queue(aws)
    integrations.change_keys(aws, setup.admin, iid, public_key=setup.partner.public_key,
                             secret_key="wrong-secret")
    integrations.change_keys(aws, setup.admin, iid, public_key=setup.partner.public_key,
                             secret_key=setup.partner.secret)
    assert integrations.get(aws, setup.admin, iid).status == "Checking keys..."
    first, second = list(held.bodies)
    held.bodies[:] = [first]
    held.deliver_all()  # the wrong keys' check: they are gone, nothing is written
    assert integrations.get(aws, setup.admin, iid).status == "Checking keys..."
    held.bodies[:] = [second, second]  # delivered twice, as SQS may
    held.deliver_all()
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.status == "Never synced" and shown.status_reason.startswith("Keys accepted")


def test_a_key_check_that_crashes_ends_in_a_visible_error(aws, monkeypatch):
    serve_portal(aws)
    held = hold_sync_queue(aws)
    partner = make_partner(customers=())
    admin = as_admin(aws, "acct-1")
    made = integrations.connect(aws, admin, public_key=partner.public_key,
                                secret_key=partner.secret)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SaasClient, "customers", broken)
    held.deliver_all()
    shown = integrations.get(aws, admin, made.integration_id)
    assert shown.status == "Error" and "could not be checked" in shown.status_reason


def test_the_secret_key_is_stored_encrypted_and_never_shown(aws):
    setup = connected(aws, enable=False)
    stored = store.get_integration(setup.integration.integration_id)
    assert setup.partner.secret not in stored.secret_key
    assert setup.partner.secret not in repr(setup.integration)
    assert setup.integration.status == "Never synced"
    assert setup.integration.base_url == "http://localhost:8000/api/v1"


def test_another_accounts_integration_is_not_found(aws):
    setup = connected(aws)
    with pytest.raises(NotFound):
        integrations.start_manual_sync(aws, as_admin(aws, "acct-other"),
                                       setup.integration.integration_id)
    with pytest.raises(NotFound):
        integrations.sync_logs(aws, as_admin(aws, "acct-other"), setup.integration.integration_id)


def _api_key(aws, account_id: str, role: str) -> str:
    admin = accounts.create_user(aws, account_id, email=f"admin-{role[:3]}@example.com",
                                 name="Admin", role="Administrator")
    key = api_keys.create(aws, ItDocsUser.of(admin), "sync")
    if role != "Administrator":
        from chalicelib.storage.itdocs import users as itdocs_store

        itdocs_store.update_user(admin.user_id, role=role)
    return key.presented


def _post(client, integration_id: str, key: str | None):
    headers = {"content-type": "application/json", **({"x-api-key": key} if key else {})}
    return client.request("POST", f"/itdocs/api/integrations/{integration_id}/sync",
                          headers=headers, body=b"{}")


def _status(client, integration_id: str, key: str | None = None):
    headers = {"x-api-key": key} if key else {}
    return client.request("GET", f"/itdocs/api/integrations/{integration_id}/status",
                          headers=headers)


def test_the_sync_endpoint_answers_202_before_the_run_then_429_with_retry_after(aws, client):
    setup = connected(aws)
    iid = setup.integration.integration_id
    key = _api_key(aws, setup.account_id, "Administrator")
    held = hold_sync_queue(aws)

    started = _post(client, iid, key)
    assert started.status == 202
    assert started.json["status"] == "Syncing..." and started.json["inProgress"] is True
    assert started.json["done"] == 0 and len(held.bodies) == 1  # no worker has run yet
    assert integrations.sync_logs(aws, setup.admin, iid) == []
    assert _status(client, iid, key).json["status"] == "Syncing..."

    held.deliver_all()
    finished = _status(client, iid, key).json
    assert finished["status"] == "OK" and finished["inProgress"] is False
    assert finished["lastSyncAt"] == "2026-01-05T09:00:00+00:00"
    assert finished["manualSyncAvailableAt"] == "2026-01-05T15:00:00+00:00"
    refused = _post(client, iid, key)
    assert refused.status == 429
    assert refused.headers["retry-after"] == str(6 * 3600)
    assert refused.json["availableAt"] == "2026-01-05T15:00:00+00:00"


def test_the_sync_endpoint_refuses_missing_keys_and_editors(aws, client):
    setup = connected(aws)
    iid = setup.integration.integration_id
    assert _post(client, iid, None).status == 401
    key = _api_key(aws, setup.account_id, "Editor")
    assert _post(client, iid, key).status == 403


def test_the_status_endpoint_refuses_strangers_editors_and_other_accounts(aws, client):
    setup = connected(aws)
    iid = setup.integration.integration_id
    assert _status(client, iid).status == 401  # neither a session nor a key
    assert _status(client, iid, "not-a-key").status == 401
    editor = _api_key(aws, setup.account_id, "Editor")
    assert _status(client, iid, editor).status == 403
    stranger = _api_key(aws, "acct-someone-else", "Administrator")
    assert _status(client, iid, stranger).status == 404
    assert _post(client, iid, stranger).status == 404  # nor can they start its sync
    assert integrations.get(aws, setup.admin, iid).status == "Never synced"
    assert _status(client, "no such id!", stranger).status == 404
    admin = _api_key(aws, setup.account_id, "Administrator")
    assert _status(client, iid, admin).json["integrationId"] == iid


class _Pages:
    """A server that pages /saas/domains with envelopes."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def request(self, method: str, url: str, **_: object) -> HttpResponse:
        self.requests.append(url)
        page = int(url.split("_page=")[1].split("&")[0])
        items = [{"saasCustomerId": page * 10 + n, "saasCustomerName": f"C{page}{n}",
                  "productType": "Office365"} for n in range(2)]
        body = f'{{"pagination": {{"page": {page}, "totalPages": 3}}, "items": {items}}}'
        return HttpResponse(200, body.replace("'", '"').encode())


def test_the_client_follows_envelope_pages_to_the_last_one():
    server = _Pages()
    client = SaasClient(server, "https://api.example.test/v1", "pub", "sec", sleep=lambda s: None)
    customers = client.customers()
    assert [c.customer_id for c in customers] == ["10", "11", "20", "21", "30", "31"]
    assert len(server.requests) == 3


def test_a_lost_key_check_ends_in_an_error_saying_so_and_new_keys_check_again(aws, frozen_time):
    serve_portal(aws)
    held = hold_sync_queue(aws)
    partner = make_partner()
    admin = as_admin(aws, "acct-1")
    made = integrations.connect(aws, admin, public_key=partner.public_key,
                                secret_key=partner.secret)
    held.bodies.clear()  # the worker died with the message: no check will ever answer
    frozen_time.advance(minutes=14)
    assert integrations.get(aws, admin, made.integration_id).status == "Checking keys..."

    frozen_time.advance(minutes=2)
    lost = integrations.get(aws, admin, made.integration_id)
    assert lost.status == "Error" and "did not finish" in lost.status_reason
    assert not lost.in_progress

    integrations.update(aws, admin, made.integration_id, sync_enabled=False,
                        accept_automatically=False, public_key=partner.public_key,
                        secret_key=partner.secret)
    assert integrations.get(aws, admin, made.integration_id).status == "Checking keys..."
    held.deliver_all()
    shown = integrations.get(aws, admin, made.integration_id)
    assert shown.status == "Never synced" and shown.status_reason.startswith("Keys accepted")
    frozen_time.advance(hours=1)
    assert integrations.get(aws, admin, made.integration_id).status == "Never synced"
