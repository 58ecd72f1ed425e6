"""Connecting checks the keys; the JSON sync endpoint answers 202 or 429 with Retry-After."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidInput, NotFound
from chalicelib.itdocs import accounts, api_keys
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.outbound import HttpResponse, Unreachable
from chalicelib.storage.itdocs import integrations as store
from chalicelib.sync import integrations
from chalicelib.sync.saas_client import SaasClient
from tests.portal.helpers import make_partner
from tests.sync.helpers import as_admin, connected, serve_portal


def test_connect_reports_refused_keys_and_an_unreachable_host(aws):
    serve_portal(aws)
    partner = make_partner(customers=())
    with pytest.raises(InvalidInput, match="keys were refused"):
        integrations.connect(aws, as_admin(aws, "acct-1"), public_key=partner.public_key,
                             secret_key="wrong-secret")
    with pytest.raises(Unreachable, match="could not be reached"):
        integrations.connect(aws, as_admin(aws, "acct-1"), public_key=partner.public_key,
                             secret_key=partner.secret, base_url="https://api.example.test/v1")
    assert integrations.list_for_account(aws, as_admin(aws, "acct-1")) == []


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


def test_the_sync_endpoint_answers_202_then_429_with_retry_after(aws, client):
    setup = connected(aws)
    iid = setup.integration.integration_id
    key = _api_key(aws, setup.account_id, "Administrator")

    started = _post(client, iid, key)
    assert started.status == 202
    assert started.json["status"] == "OK"
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
