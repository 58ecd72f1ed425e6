"""DynamoDB calls per Partner Portal route (issue 17): every page and REST API request a signed-in
user or a key makes costs at most three calls in steady state, and none is a Scan.

Steady state: the session was used a moment ago (no last-seen write is due), and the key made a
call earlier in this process (its secret verified, its partner's budget known). Each route is
requested as a user would, after loading the page its form is on; the count is of that one request.
A route still above three says why in its `over` (work outside the sign-in and page reads).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from app import app
from chalicelib import runtime
from chalicelib.portal import users
from chalicelib.portal.api_routes.unknown import unknown_paths
from chalicelib.portal.policy import READ_ONLY, TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import security_settings as settings_store
from tests.portal.helpers import Partner, log_in, make_partner, make_user
from tests.web_client import Reply, WebClient

BUDGET = 3
# Measured in tests/auth/sso/test_calls_per_callback.py instead (with /portal/sso/...): they call
# the hub over HTTP (linking, unlinking, Log In with Hub), which that test serves in-process.
NOT_LISTED = {"/portal/admin/security/link", "/portal/admin/security/link/confirm",
              "/portal/admin/security/unlink"}


@dataclass(frozen=True)
class Route:
    """One request: its name in the table, the page its form is on (loaded first), and the call."""

    name: str
    send: Callable[[WebClient, Partner], Reply]
    form_page: str | None = None
    status: int = 200
    prepare: Callable[[Partner], None] | None = None
    budget: int = BUDGET
    over: str = ""  # why the budget is above three


def _customer(partner: Partner, index: int = 0) -> int:
    return partner.customers[index].saas_customer_id


def _api(path: str) -> Callable[[WebClient, Partner], Reply]:
    def send(client: WebClient, partner: Partner) -> Reply:
        return client.get("/api/v1" + path.format(c=_customer(partner)),
                          headers={"authorization": partner.authorization})
    return send


def _api_method(method: str, path: str) -> Callable[[WebClient, Partner], Reply]:
    def send(client: WebClient, partner: Partner) -> Reply:
        return client.request(method, "/api/v1" + path.format(c=_customer(partner)),
                              headers={"authorization": partner.authorization})
    return send


def _bulk(client: WebClient, partner: Partner) -> Reply:
    customer = partner.customers[0]
    users = [s.remote_id for s in partner.seats[customer.saas_customer_id]
             if s.seat_type == "User"][:2]
    return client.request(
        "PUT", f"/api/v1/saas/{customer.saas_customer_id}/{customer.external_subscription_id}"
               "/bulkSeatChange",
        headers={"authorization": partner.authorization, "content-type": "application/json"},
        body=json.dumps({"seat_type": "User", "action_type": "Pause", "ids": users}))


def _get(path: str) -> Callable[[WebClient, Partner], Reply]:
    return lambda client, partner: client.get(path.format(c=_customer(partner)))


def _post(path: str, data: dict[str, str] | Callable[[Partner], dict[str, str]] | None = None,
          ) -> Callable[[WebClient, Partner], Reply]:
    def send(client: WebClient, partner: Partner) -> Reply:
        fields = data(partner) if callable(data) else dict(data or {})
        return client.post(path.format(c=_customer(partner, 1)), fields)
    return send


def _link(partner: Partner) -> dict[str, str]:
    return {"organization_id": str(partner.organizations[0].organization_id)}


def _deactivate(client: WebClient, partner: Partner) -> Reply:
    (other,) = [u for u in users.company_users(partner.admin) if u.user_id != partner.admin.user_id]
    return client.post(f"/portal/admin/users/{other.user_id}", {"action": "deactivate"})


def _a_technician(partner: Partner) -> None:
    make_user(partner.company, role=TECHNICIAN)


def _scope(client: WebClient, partner: Partner) -> Reply:
    return client.post(f"/portal/admin/api-keys/{partner.public_key}/scope",
                       {"scope": "chosen", "customers": str(_customer(partner))})


def _revoke(client: WebClient, partner: Partner) -> Reply:
    return client.post(f"/portal/admin/api-keys/{partner.public_key}/revoke", {})


def _new_user() -> dict[str, str]:
    return {"username": "newcomer", "email": "newcomer@example.com", "name": "New Comer",
            "role": TECHNICIAN, "password": "orange-kettle-harbour-17"}


def _security() -> dict[str, str]:
    return {"default_role": TECHNICIAN, "shown_default_role": READ_ONLY}


def _linked(partner: Partner) -> None:
    """Linked to a hub company, as Enable Login with Hub leaves it."""
    now = runtime.current().clock.now()
    settings_store.link_company(partner.company.company_id, issuer=runtime.current().settings
                                .hub_issuer, hub_company_id="hub-company", hub_company_name="Hub",
                                now=now, actor="test")


def _login(client: WebClient, partner: Partner) -> Reply:
    return log_in(client, partner.admin.username)


ROUTES = [
    Route("GET /portal/", _get("/portal/")),
    Route("GET /portal/organizations", _get("/portal/organizations")),
    Route("POST /portal/organizations", _post("/portal/organizations", {"name": "New Org"}),
          "/portal/organizations", 303),
    Route("GET /portal/saas", _get("/portal/saas")),
    Route("GET /portal/saas?show=unlinked", _get("/portal/saas?show=unlinked")),
    Route("GET /portal/saas/{id}", _get("/portal/saas/{c}")),
    Route("POST /portal/saas/{id}/link", _post("/portal/saas/{c}/link", _link), "/portal/saas",
          303),
    Route("POST /portal/saas/{id}/unlink", _post("/portal/saas/{c}/unlink"), "/portal/saas", 303),
    Route("GET /portal/admin/users", _get("/portal/admin/users")),
    Route("POST /portal/admin/users", _post("/portal/admin/users", _new_user()),
          "/portal/admin/users", 303),
    Route("POST /portal/admin/users/{id}", _deactivate, "/portal/admin/users", 303,
          _a_technician),
    Route("GET /portal/admin/api-keys", _get("/portal/admin/api-keys")),
    Route("POST /portal/admin/api-keys", _post("/portal/admin/api-keys", {"label": "more"}),
          "/portal/admin/api-keys", 201),
    Route("POST /portal/admin/api-keys (limited to a customer)", _post(
        "/portal/admin/api-keys", lambda partner: {"label": "one", "scope": "chosen",
                                                   "customers": str(_customer(partner))}),
          "/portal/admin/api-keys", 201),
    Route("POST /portal/admin/api-keys/{key}/scope", _scope, "/portal/admin/api-keys", 303),
    Route("POST /portal/admin/api-keys/{key}/revoke", _revoke, "/portal/admin/api-keys", 303),
    Route("GET /portal/admin/security", _get("/portal/admin/security")),
    Route("GET /portal/admin/security (linked)", _get("/portal/admin/security"),
          prepare=_linked),
    Route("POST /portal/admin/security", _post("/portal/admin/security", _security()),
          "/portal/admin/security", 303, _linked),
    Route("GET /portal/login", _get("/portal/login")),
    Route("POST /portal/login", lambda client, partner: client.post(
        "/portal/login", {"identifier": partner.admin.username,
                          "password": "blue-harbour-lantern-42"}), "/portal/login", 303),
    Route("POST /portal/logout", _post("/portal/logout"), "/portal/", 303),
    Route("GET /api/v1/saas/domains", _api("/saas/domains")),
    Route("GET /api/v1/saas/{id}/seats", _api("/saas/{c}/seats")),
    Route("GET /api/v1/saas/{id}/seats?seatType=User", _api("/saas/{c}/seats?seatType=User")),
    Route("GET /api/v1/saas/{id}/applications", _api("/saas/{c}/applications")),
    Route("GET /api/v1/openapi.json", _api("/openapi.json"), budget=0),
    Route("GET /api/v1/saas/nothing-here (unknown route)", _api("/saas/nothing-here"), status=404,
          budget=0),
    Route("GET /api/v1/saas/{id}/seats/more (unknown route, no key)", _get(
        "/api/v1/saas/{c}/seats/more"), status=404, budget=0),
    Route("DELETE /api/v1/saas/domains (refused method)", _api_method(
        "DELETE", "/saas/domains"), status=404, budget=0),
    Route("POST /api/v1/saas/{id}/seats (refused method)", _api_method(
        "POST", "/saas/{c}/seats"), status=404, budget=0),
    Route("PUT /api/v1/saas/{id}/{sub}/bulkSeatChange", _bulk),
]


def _warm(client: WebClient, partner: Partner) -> None:
    """Signed in, the key used once: what every later request of a working day finds."""
    assert _login(client, partner).status == 303
    assert _api("/saas/domains")(client, partner).status == 200


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_each_route_costs_at_most_three_calls_and_no_scan(client, aws, route: Route):
    assert (route.budget > BUDGET) == bool(route.over), f"{route.name}: say why it is over"
    partner = make_partner()
    _warm(client, partner)
    if route.prepare:
        route.prepare(partner)
    if route.form_page:
        client.get(route.form_page)
    with tables.counting_calls() as calls:
        reply = route.send(client, partner)
    assert reply.status == route.status, (route.name, reply)
    assert "Scan" not in calls.calls, route.name
    assert calls.total <= route.budget, (route.name, dict(calls.calls))


def test_every_portal_and_api_route_is_in_the_table():
    """A new route cannot skip its count: each page and endpoint of the portal is listed (the
    API's answers for unknown paths read nothing)."""
    listed = {route.name.split(" ")[1].split("?")[0] for route in ROUTES}
    unknown = {"/api/v1" + path for path in unknown_paths()}
    names = {"{customer_id}": "{id}", "{user_id}": "{id}", "{public_key}": "{key}",
             "{saasCustomerId}": "{id}", "{externalSubscriptionId}": "{sub}"}
    paths = set()
    for path in app.routes:
        if path.startswith(("/portal", "/api/v1/saas", "/api/v1/openapi")) and path not in unknown:
            for name, short in names.items():
                path = path.replace(name, short)
            paths.add("/portal/" if path == "/portal" else path)
    missing = {p for p in paths - listed - NOT_LISTED if not p.startswith("/portal/sso")}
    assert missing == set()


# The REST API in steady state: ONE conditional write admits the key and spends the budget, while
# the path's customer and the list's sizes are read beside it (one BatchGetItem, sent at the same
# time), then the page's Query: two DynamoDB round trips one after the other, three calls.
API_CALLS = {
    "GET /api/v1/saas/domains": {"UpdateItem": 1, "BatchGetItem": 1, "Query": 1},
    "GET /api/v1/saas/{id}/seats": {"UpdateItem": 1, "BatchGetItem": 1, "Query": 1},
    "GET /api/v1/saas/{id}/seats?seatType=User": {"UpdateItem": 1, "BatchGetItem": 1,
                                                  "Query": 1},
    "GET /api/v1/saas/{id}/applications": {"UpdateItem": 1, "BatchGetItem": 1, "Query": 1},
    "GET /api/v1/openapi.json": {},
    "GET /api/v1/saas/nothing-here (unknown route)": {},
    "DELETE /api/v1/saas/domains (refused method)": {},
}


@pytest.mark.parametrize("name", list(API_CALLS))
def test_each_api_request_in_steady_state_is_one_admission_write_and_its_reads(client, aws,
                                                                               name):
    (route,) = [r for r in ROUTES if r.name == name]
    partner = make_partner()
    _warm(client, partner)
    with tables.counting_calls() as calls:
        reply = route.send(client, partner)
    assert reply.status == route.status, reply
    assert dict(calls.calls) == API_CALLS[name]


def _refused_api_requests() -> list[tuple[str, str]]:
    """(method, path) of every method the app registers on a REST API route without serving it
    (the vendor answers them 404): each must be answered without a DynamoDB call."""
    served = {"/api/v1/saas/domains": "GET", "/api/v1/saas/{saasCustomerId}/seats": "GET",
              "/api/v1/saas/{saasCustomerId}/applications": "GET", "/api/v1/openapi.json": "GET",
              "/api/v1/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange": "PUT"}
    return sorted((method, path) for path, served_method in served.items()
                  for method in app.routes[path] if method != served_method)


@pytest.mark.parametrize(("method", "path"), _refused_api_requests())
def test_a_method_the_api_does_not_serve_is_its_404_without_a_call(client, aws, method, path):
    partner = make_partner()
    _warm(client, partner)
    customer = partner.customers[0]
    url = path.format(saasCustomerId=customer.saas_customer_id,
                      externalSubscriptionId=customer.external_subscription_id)
    with tables.counting_calls() as calls:
        reply = client.request(method, url, headers={"authorization": partner.authorization})
    assert reply.status == 404, (method, path, reply)
    assert calls.total == 0, (method, path, dict(calls.calls))
