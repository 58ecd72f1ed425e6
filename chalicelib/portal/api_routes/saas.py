"""SaaS Protection endpoints (`/api/v1/saas/...`): domains, seats, applications, bulk changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.portal import api_keys, rest_api
from chalicelib.portal.api_routes import params
from chalicelib.portal.api_routes.serving import (
    JSON_BODY_TYPES,
    Answered,
    Body,
    api_route,
    query,
    raw_body,
    serve,
)
from chalicelib.portal.paging import DEFAULT_PAGE, DEFAULT_PER_PAGE, PagedList, Paging
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
    return serve_page(request, "domains", lambda rt, caller: rest_api.domains(
        rt, caller, paging_of(query(request))), listing=api_keys.CUSTOMER_LIST)


@api_route(routes, "/saas/{saasCustomerId}/seats")
def saas_seats(saasCustomerId: str) -> Response:  # noqa: N803 (the contract's name)
    request = routes.current_request

    def call(rt: Runtime, caller: rest_api.Caller) -> Answered:
        answer = rest_api.seat_list(rt, caller, params.customer_id(saasCustomerId),
                                    query(request), paging_of(query(request)),
                                    request.headers.get("if-none-match"))
        headers = answer.page.headers()
        if answer.etag is not None:
            headers["ETag"] = answer.etag
        return Answered(answer.page.items, headers, not_modified=answer.not_modified)

    return serve(request, "GET", "seats", call, customer=params.customer_hint(saasCustomerId),
                 listing=api_keys.SEAT_LIST)


def paging_of(wanted: dict[str, str]) -> Paging:
    """`_page` and `_perPage` (the vendor's defaults when absent); out of range is a 400."""
    return Paging(params.query_number(wanted, "_page", default=DEFAULT_PAGE),
                  params.query_number(wanted, "_perPage", default=DEFAULT_PER_PAGE))


def serve_page(request: Request, endpoint: str,
               call: Callable[[Runtime, rest_api.Caller], PagedList],
               customer: int | None = None, listing: str | None = None) -> Response:
    """Serve a list endpoint: the page as a bare array, its totals as headers on a 200."""

    def items(rt: Runtime, caller: rest_api.Caller) -> Answered:
        page = call(rt, caller)
        return Answered(page.items, page.headers())

    return serve(request, "GET", endpoint, items, customer=customer, listing=listing)


@api_route(routes, "/saas/{saasCustomerId}/applications")
def saas_applications(saasCustomerId: str) -> Response:  # noqa: N803
    request = routes.current_request

    def call(rt: Runtime, caller: rest_api.Caller) -> Any:
        wanted = query(request)
        return rest_api.applications(
            rt, caller, params.customer_id(saasCustomerId),
            params.query_number(wanted, "daysUntil", default=10),
            params.query_flag(wanted, "includeRemoteID"))

    return serve(request, "GET", "applications", call,
                 customer=params.customer_hint(saasCustomerId))


@api_route(routes, "/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange")
def saas_bulk_seat_change(saasCustomerId: str,  # noqa: N803
                          externalSubscriptionId: str) -> Response:  # noqa: N803
    request = routes.current_request
    # The customer is read with the seats the body names, after the key is admitted.
    return serve(request, "PUT", "bulkSeatChange", lambda rt, caller: rest_api.bulk_seat_change(
        rt, caller, params.customer_id(saasCustomerId),
        params.subscription_id(externalSubscriptionId), raw_body(request)), BULK_BODY)
