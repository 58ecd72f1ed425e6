"""Malformed ids in a route's path are a 404 at the edge, on every product, never a 500."""

from __future__ import annotations

import pytest
from chalice.app import Blueprint

from app import app
from chalicelib import runtime
from chalicelib.itdocs import organizations
from chalicelib.web import params
from chalicelib.web.routing import json_route, page_route
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.itdocs.helpers import make_account as make_itdocs_account
from tests.itdocs.helpers import make_user as make_itdocs_user
from tests.itdocs.helpers import setup_admin
from tests.itdocs.helpers import sign_in as itdocs_sign_in
from tests.portal.helpers import log_in as portal_log_in
from tests.portal.helpers import make_partner
from tests.web_client import WebClient

# As API Gateway hands them to the view (decoded), plus the raw percent-encoded form.
MALFORMED = {
    "unicode digit": "\u00b9",
    "arabic-indic digits": "\u0661\u0660\u0660\u0660\u0660\u0661",
    "percent-encoded unicode digit": "%C2%B9",
    "1,025 characters": "x" * 1025,
    "2,049 characters": "x" * 2049,
    "NUL": "a\x00b",
    "unit separator": "a\x1fb",
    "DEL": "a\x7fb",
    "right-to-left override": "\u202eabc",
    "space": "a b",
    "accented letter": "caf\u00e9",
    "dot-dot": "..",
}
TOO_MANY_DIGITS = {"19 digits": "1" * 19, "39 digits": "9" * 39}


def _refused(client: WebClient, requests: list[tuple[str, str, str]]) -> list[str]:
    """Each (method, path, form page) request; the ones that did not answer 404."""
    wrong = []
    for method, path, form_page in requests:
        if method == "GET":
            reply = client.get(path)
        else:
            client.get(form_page)
            reply = client.post(path, {"action": "deactivate"})
        if reply.status != 404:
            wrong.append(f"{method} {path[:70]!r}: {reply.status}")
    return wrong


def test_malformed_ids_on_hub_routes_are_404(client: WebClient) -> None:
    hub_log_in(client, make_hub_account())
    requests = []
    for value in MALFORMED.values():
        requests += [
            ("GET", f"/hub/launch/{value}", ""),
            ("POST", f"/hub/admin/users/{value}", "/hub/admin/users"),
            ("POST", f"/hub/account/push/devices/{value}/remove", "/hub/account"),
        ]
    assert _refused(client, requests) == []
    for value in MALFORMED.values():  # the modules' JSON API, before any credentials are read
        reply = client.request("PUT", f"/hub/modules/{value}/insights", body=b"{}",
                               headers={"content-type": "application/json"})
        assert (reply.status, reply.json["code"]) == (404, "not_found")


def test_malformed_ids_on_portal_routes_are_404(client: WebClient) -> None:
    partner = make_partner()
    assert portal_log_in(client, partner.admin.username).status == 303
    requests = []
    for value in (*MALFORMED.values(), *TOO_MANY_DIGITS.values()):
        requests += [
            ("GET", f"/portal/saas/{value}", ""),
            ("POST", f"/portal/saas/{value}/unlink", "/portal/saas"),
            ("POST", f"/portal/admin/api-keys/{value}/revoke", "/portal/admin/api-keys"),
            ("POST", f"/portal/admin/users/{value}", "/portal/admin/users"),
        ]
    assert _refused(client, requests) == []
    page = client.get(f"/portal/saas/{'1' * 19}")
    assert "No such SaaS Protection customer." in page.text


def test_malformed_ids_on_itdocs_routes_are_404(aws: runtime.Runtime, client: WebClient) -> None:
    account = make_itdocs_account()
    itdocs_sign_in(client, make_itdocs_user(account))
    organization = organizations.create(aws, setup_admin(account.account_id), "Contoso")
    org = organization.organization_id
    requests = []
    for value in MALFORMED.values():
        requests += [
            ("GET", f"/itdocs/organizations/{value}", ""),
            ("GET", f"/itdocs/organizations/{org}/contacts/{value}", ""),
            ("POST", f"/itdocs/account/api-keys/{value}/revoke", "/itdocs/account/api-keys"),
            ("GET", f"/itdocs/integrations/{value}/matching", ""),
            ("GET", f"/itdocs/integrations/abc123/matching/{value}/match-to", ""),
        ]
    assert _refused(client, requests) == []
    assert "No such organization." in client.get(f"/itdocs/organizations/{'x' * 1025}").text
    reply = client.request("POST", f"/itdocs/api/integrations/{'x' * 2049}/sync")
    assert (reply.status, reply.json["code"]) == (404, "not_found")


def test_well_formed_ids_still_reach_their_pages(aws: runtime.Runtime, client: WebClient) -> None:
    account = make_itdocs_account()
    itdocs_sign_in(client, make_itdocs_user(account))
    organization = organizations.create(aws, setup_admin(account.account_id), "Contoso")
    page = client.get(f"/itdocs/organizations/{organization.organization_id}")
    assert page.status == 200 and "Contoso" in page.text


def test_a_static_file_name_too_long_for_the_file_system_is_404(client: WebClient) -> None:
    for name in ("a" * 300 + ".css", "x" * 5000 + ".js", "\u00e9" * 200 + ".css", "app.css\x00"):
        assert client.get(f"/static/{name}").status == 404
    assert client.get("/static/app.css").status == 200


def test_every_page_and_json_route_declares_the_kind_of_each_parameter() -> None:
    for path in app.routes:
        if path.startswith("/api/v1"):
            continue  # the REST API parses its own parameters
        for name in params.kinds_for(path):
            assert params.KINDS[name].max_length <= 64


def test_a_route_with_a_parameter_of_no_kind_cannot_be_declared() -> None:
    blueprint = Blueprint("undeclared")
    with pytest.raises(params.UndeclaredParameter):
        page_route(blueprint, "/things/{thing_id}", "hub")
    with pytest.raises(params.UndeclaredParameter):
        json_route(blueprint, "/things/{thing_id}")


@pytest.mark.parametrize("kind", sorted(set(params.KINDS.values()), key=lambda k: k.label))
def test_no_kind_accepts_what_dynamodb_would_refuse(kind: params.ParamKind) -> None:
    for value in (*MALFORMED.values(), "", "x" * 65):
        assert not kind.accepts(value)


def test_numbers_are_ascii_digits_of_bounded_length() -> None:
    assert params.ascii_int("42") == 42
    for text in ("\u00b9", "\u0661\u0660", "", "-1", "1" * 19, "1" * 5000, " 1"):
        assert params.ascii_int(text) is None
