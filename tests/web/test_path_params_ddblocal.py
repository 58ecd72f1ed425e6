"""On DynamoDB Local, which refuses oversized keys as moto does not: malformed ids never reach it,
and when a value does, its ValidationException is a 400, not a 500."""

from __future__ import annotations

import pytest
from chalice import Chalice
from chalice.app import Blueprint, Request, Response

from chalicelib import runtime
from chalicelib.errors import StorageRejected
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.portal import api_keys as api_key_store
from chalicelib.web import http
from chalicelib.web.page import Page
from chalicelib.web.routing import json_route, page_route
from tests.itdocs.helpers import make_account as make_itdocs_account
from tests.itdocs.helpers import make_user as make_itdocs_user
from tests.itdocs.helpers import sign_in as itdocs_sign_in
from tests.portal.helpers import log_in as portal_log_in
from tests.portal.helpers import make_partner
from tests.web_client import WebClient

pytestmark = pytest.mark.ddblocal


def test_an_organization_id_over_the_sort_key_limit_is_404(ddb_client: WebClient) -> None:
    itdocs_sign_in(ddb_client, make_itdocs_user(make_itdocs_account()))

    reply = ddb_client.get(f"/itdocs/organizations/{'x' * 1025}")

    assert reply.status == 404 and "No such organization." in reply.text


def test_revoking_an_api_key_named_over_the_partition_key_limit_is_404(
    ddb: runtime.Runtime, ddb_client: WebClient
) -> None:
    partner = make_partner()
    assert portal_log_in(ddb_client, partner.admin.username).status == 303
    ddb_client.get("/portal/admin/api-keys")  # its form's CSRF token

    reply = ddb_client.post(f"/portal/admin/api-keys/{'k' * 2049}/revoke", {})

    assert reply.status == 404
    key = api_key_store.get_api_key(partner.public_key)
    assert key is not None and key.revoked_at is None


def test_storage_turns_dynamodbs_validation_exception_into_a_domain_error(
    ddb: runtime.Runtime,
) -> None:
    with pytest.raises(StorageRejected) as refused:
        organization_store.get_organization("acct", "x" * 1025)
    assert getattr(refused.value.__cause__, "cause_response_code", "") == "ValidationException"
    with pytest.raises(StorageRejected):
        api_key_store.get_api_key("k" * 2049)


def test_a_value_dynamodb_refuses_is_a_400_page_and_json_error(ddb: runtime.Runtime) -> None:
    """The last line: a route that hands an unchecked query value to storage."""
    blueprint = Blueprint("unchecked")

    @page_route(blueprint, "/unchecked/page", "itdocs")
    def unchecked_page(page: Page) -> Response:
        organization_store.get_organization("acct", page.query().get("id", ""))
        return page.redirect("/")

    @json_route(blueprint, "/unchecked/json")
    def unchecked_json(request: Request) -> Response:
        api_key_store.get_api_key(http.query(request).get("key", ""))
        return http.json_response({})

    probe = Chalice("unchecked")
    probe.register_blueprint(blueprint)
    browser = WebClient(probe)

    page = browser.get(f"/unchecked/page?id={'x' * 1025}")
    assert page.status == 400 and "malformed or too long" in page.text
    reply = browser.get(f"/unchecked/json?key={'k' * 2049}")
    assert reply.status == 400
    assert reply.json == {"code": "invalid_input",
                          "message": "A value in the request is malformed or too long."}
