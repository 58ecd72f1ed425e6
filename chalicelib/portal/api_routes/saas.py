"""SaaS Protection endpoints (`/api/v1/saas/...`): domains, seats, applications, bulk changes."""

from __future__ import annotations

from urllib.parse import unquote

from chalice.app import Blueprint, Response

from chalicelib.portal import rest_api
from chalicelib.portal.api_routes.serving import api_route, query, serve

routes = Blueprint(__name__)
# The contract's endpoints (below /api/v1); unknown.py answers every path around them.
PATHS = (
    "saas/domains",
    "saas/{saasCustomerId}/seats",
    "saas/{saasCustomerId}/applications",
    "saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange",
)


@api_route(routes, "/saas/domains")
def saas_domains() -> Response:
    request = routes.current_request
    return serve(request, "GET", "domains",
                 lambda rt, caller: rest_api.domains(rt, caller, query(request)))


@api_route(routes, "/saas/{saasCustomerId}/seats")
def saas_seats(saasCustomerId: str) -> Response:  # noqa: N803 (the contract's name)
    request = routes.current_request
    return serve(request, "GET", "seats", lambda rt, caller: rest_api.seat_list(
        rt, caller, unquote(saasCustomerId), query(request)))


@api_route(routes, "/saas/{saasCustomerId}/applications")
def saas_applications(saasCustomerId: str) -> Response:  # noqa: N803
    request = routes.current_request
    return serve(request, "GET", "applications", lambda rt, caller: rest_api.applications(
        rt, caller, unquote(saasCustomerId), query(request)))


@api_route(routes, "/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange")
def saas_bulk_seat_change(saasCustomerId: str,  # noqa: N803
                          externalSubscriptionId: str) -> Response:  # noqa: N803
    request = routes.current_request
    raw = request.raw_body
    body = raw.encode() if isinstance(raw, str) else raw
    return serve(request, "PUT", "bulkSeatChange", lambda rt, caller: rest_api.bulk_seat_change(
        rt, caller, unquote(saasCustomerId), unquote(externalSubscriptionId), body))
