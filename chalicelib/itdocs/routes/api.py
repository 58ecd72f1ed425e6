"""IT Docs JSON API for syncs, `/itdocs/api/...`, authenticated with an IT Docs API key.

`POST /itdocs/api/integrations/{integration_id}/sync` with the key in `x-api-key`, for users who
may manage integrations (the sync asks IT Docs' policy): 202 with the integration's sync
information, or 429 with `Retry-After` and the time a manual sync becomes available.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import errors, runtime
from chalicelib.itdocs import acting, api_keys
from chalicelib.sync import integrations
from chalicelib.web import http
from chalicelib.web.errors import json_error
from chalicelib.web.routing import json_route

routes = Blueprint(__name__)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def sync_info(integration: integrations.Integration) -> dict[str, Any]:
    return {
        "integrationId": integration.integration_id,
        "status": integration.status,
        "statusReason": integration.status_reason,
        "lastSyncAt": _iso(integration.last_sync_at),
        "nextSyncAt": _iso(integration.next_sync_at),
        "manualSyncAvailableAt": _iso(integration.manual_sync_available_at),
    }


def _error_body(error: errors.LinkhubError) -> Response:
    response = json_error(error)
    if isinstance(error, integrations.ManualSyncUnavailable):
        body = {"code": "too_many_requests", "message": error.message,
                "availableAt": _iso(error.available_at)}
        return http.json_response(body, status=429,
                                  headers={"Retry-After": str(error.retry_after)})
    return response


@json_route(routes, "/api/integrations/{integration_id}/sync", methods=["POST"],
            error_body=_error_body)
def start_sync(request: Request, integration_id: str) -> Response:
    """Start a manual sync for the user an API key acts for."""
    rt = runtime.current()
    key = str(request.headers.get("x-api-key") or "")
    if not key:
        raise errors.NotAuthenticated("Send an IT Docs API key in the x-api-key header.")
    holder = acting.for_api_key(rt, api_keys.verify(rt, key))
    started = integrations.start_manual_sync(rt, holder, integration_id)
    return http.json_response(sync_info(started), status=202)
