"""`GET /api/v1/openapi.json` (issue 16, item 11): a valid OpenAPI 3.1 document that names exactly
the routes the app serves under /api/v1, with their methods, and that real answers (successes and
errors, bodies and headers) validate against, checked with `jsonschema` on moto."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
from chalice.test import Client
from openapi_spec_validator import validate as validate_openapi

from app import app
from chalicelib.portal.api_routes import PREFIX, openapi, openapi_schemas, saas, unknown
from tests.portal.helpers import Partner, make_partner

OTHER_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")


@pytest.fixture
def api(aws) -> Client:
    return Client(app)


@pytest.fixture
def partner(aws) -> Partner:
    # A fixed name seeds the seats: these four include a User (a random name left one run none).
    return make_partner("OpenAPI Partner",
                        customers=(("Office365", 4, True), ("GoogleWorkspace", 2, False)))


@pytest.fixture
def document(api) -> dict[str, Any]:
    reply = api.http.get(f"{PREFIX}/openapi.json")
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    assert reply.headers["X-Request-Id"] and reply.headers["X-API-Limit-Cost"] == "0"
    return json.loads(reply.body)


def test_the_document_is_valid_openapi_3_1(document):
    assert document["openapi"] == "3.1.0"
    validate_openapi(document)
    assert document["components"]["securitySchemes"]["basicAuth"] == {
        "type": "http", "scheme": "basic", "description": document["components"][
            "securitySchemes"]["basicAuth"]["description"]}


def test_every_api_route_is_documented_and_every_documented_path_is_routed(document):
    catch_alls = {PREFIX + path for path in unknown.unknown_paths()}
    routed = {path for path in app.routes if path.startswith(PREFIX + "/")} - catch_alls
    assert routed == {PREFIX + path for path in document["paths"]}


def fill(path: str) -> str:
    return path.replace("{saasCustomerId}", "1").replace("{externalSubscriptionId}",
                                                         "Classic:Office365:1")


def test_each_documented_method_is_served_and_every_other_method_is_404(api, document):
    for path, operations in document["paths"].items():
        url = PREFIX + fill(path)
        for method in OTHER_METHODS:
            reply = api.http.request(method, url, headers={}, body=b"")
            if method.lower() in operations:
                expected = 200 if operations[method.lower()].get("security") == [] else 401
            else:
                expected = 404
            assert reply.status_code == expected, (method, path, reply.body)


def test_a_route_without_a_description_or_the_reverse_refuses_to_load():
    described = set(openapi_schemas.OPERATIONS)
    openapi.check_paths(saas.PATHS, described)
    with pytest.raises(RuntimeError, match="saas/new"):
        openapi.check_paths((*saas.PATHS, "saas/new"), described)
    with pytest.raises(RuntimeError, match="saas/domains"):
        openapi.check_paths(saas.PATHS[1:], described)


def assert_matches(document: dict[str, Any], path: str, method: str, reply: Any) -> None:
    """The answer's status is declared, and its body and headers match the declaration."""
    declared = document["paths"][path][method]["responses"]
    assert str(reply.status_code) in declared, (path, reply.status_code)
    answer = declared[str(reply.status_code)]
    body_schema = answer["content"]["application/json"]["schema"]
    jsonschema.validate(json.loads(reply.body),
                        {"components": document["components"], "allOf": [body_schema]},
                        cls=jsonschema.Draft202012Validator)
    for name, header in answer["headers"].items():
        assert name in reply.headers, (path, name)
        schema = header["schema"]
        value: Any = reply.headers[name]
        if schema.get("type") == "integer":
            assert re.fullmatch(r"\d+", value), (name, value)
            value = int(value)
        jsonschema.validate(value, schema)


def test_real_answers_validate_against_the_document(api, partner, document):
    o365, google = partner.customers
    auth = {"authorization": partner.authorization}
    user = next(s.remote_id for s in partner.seats[o365.saas_customer_id] if s.seat_type == "User")
    bulk = "/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange"
    calls = [
        ("/saas/domains", "get", "/saas/domains?_page=1&_perPage=1", None, auth),
        ("/saas/domains", "get", "/saas/domains", None, {}),
        ("/saas/{saasCustomerId}/seats", "get", f"/saas/{o365.saas_customer_id}/seats", None, auth),
        ("/saas/{saasCustomerId}/seats", "get", "/saas/99999999/seats", None, auth),
        ("/saas/{saasCustomerId}/applications", "get",
         f"/saas/{o365.saas_customer_id}/applications?daysUntil=40&includeRemoteID=1", None, auth),
        ("/saas/{saasCustomerId}/applications", "get",
         f"/saas/{google.saas_customer_id}/applications", None, auth),
        ("/saas/{saasCustomerId}/applications", "get",
         f"/saas/{o365.saas_customer_id}/applications?daysUntil=0", None, auth),
        (bulk, "put", f"/saas/{o365.saas_customer_id}/{o365.external_subscription_id}"
         "/bulkSeatChange", {"seat_type": "User", "action_type": "Pause", "ids": [user, "x"]},
         auth),
        (bulk, "put", f"/saas/{google.saas_customer_id}/{google.external_subscription_id}"
         "/bulkSeatChange", {"seat_type": "User", "action_type": "Pause", "ids": ["x"]}, auth),
        ("/openapi.json", "get", "/openapi.json", None, {}),
    ]
    statuses = []
    for path, method, url, body, headers in calls:
        data = json.dumps(body).encode() if body is not None else b""
        reply = api.http.request(method.upper(), PREFIX + url, body=data,
                                 headers={**headers, "content-type": "application/json"})
        assert_matches(document, path, method, reply)
        statuses.append(reply.status_code)
    assert statuses == [200, 401, 200, 404, 200, 200, 400, 200, 400, 200]


def test_a_drifted_answer_fails_validation(api, partner, document):
    """The check above can fail: a window whose startTime became text does not validate."""
    customer = partner.customers[0]
    reply = api.http.get(f"{PREFIX}/saas/{customer.saas_customer_id}/applications",
                         headers={"authorization": partner.authorization})
    body = json.loads(reply.body)
    body[0]["items"][0]["suites"][0]["appTypes"][0]["backupHistory"][0]["startTime"] = "soon"
    reply.body = json.dumps(body).encode()
    with pytest.raises(jsonschema.ValidationError, match="soon"):
        assert_matches(document, "/saas/{saasCustomerId}/applications", "get", reply)
