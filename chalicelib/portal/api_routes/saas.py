"""SaaS Protection endpoints (`/api/v1/saas/...`): domains, seats, applications, bulk changes."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.portal import rest_api
from chalicelib.portal.api_routes import params
from chalicelib.portal.api_routes.serving import (
    JSON_BODY_TYPES,
    Body,
    api_route,
    query,
    raw_body,
    serve,
)
from chalicelib.runtime import Runtime

routes = Blueprint(__name__)
# The contract's endpoints (below /api/v1); unknown.py answers every path around them.
PATHS = (
    "saas/domains",
    "saas/{saasCustomerId}/seats",
    "saas/{saasCustomerId}/applications",
    "saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange",
)
# The largest valid body: 100 ids of 200 characters, each written as `\uXXXX` escapes (~121 KB).
BULK_BODY = Body(max_bytes=128 * 1024, media_types=JSON_BODY_TYPES)


@api_route(routes, "/saas/domains")
def saas_domains() -> Response:
    request = routes.current_request
    return serve(request, "GET", "domains",
                 lambda rt, caller: rest_api.domains(rt, caller, query(request)))


@api_route(routes, "/saas/{saasCustomerId}/seats")
def saas_seats(saasCustomerId: str) -> Response:  # noqa: N803 (the contract's name)
    request = routes.current_request
    return serve(request, "GET", "seats", lambda rt, caller: rest_api.seat_list(
        rt, caller, params.customer_id(saasCustomerId), query(request)))


@api_route(routes, "/saas/{saasCustomerId}/applications")
def saas_applications(saasCustomerId: str) -> Response:  # noqa: N803
    request = routes.current_request

    def call(rt: Runtime, caller: rest_api.Caller) -> Any:
        wanted = query(request)
        return rest_api.applications(
            rt, caller, params.customer_id(saasCustomerId),
            params.query_number(wanted, "daysUntil", default=10),
            params.query_flag(wanted, "includeRemoteID"))

    return serve(request, "GET", "applications", call)


@api_route(routes, "/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange")
def saas_bulk_seat_change(saasCustomerId: str,  # noqa: N803
                          externalSubscriptionId: str) -> Response:  # noqa: N803
    request = routes.current_request
    return serve(request, "PUT", "bulkSeatChange", lambda rt, caller: rest_api.bulk_seat_change(
        rt, caller, params.customer_id(saasCustomerId),
        params.subscription_id(externalSubscriptionId), raw_body(request)), BULK_BODY)
