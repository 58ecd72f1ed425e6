"""IT Docs JSON API for syncs, `/itdocs/api/...`.

`POST /itdocs/api/integrations/{integration_id}/sync` with an IT Docs API key in `x-api-key`, for
users who may manage integrations (the sync asks IT Docs' policy): 202 at once with the
integration's sync information ("Syncing..."; the run goes on in the background), or 429 with
`Retry-After` and the time a manual sync becomes available.

`GET /itdocs/api/integrations/{integration_id}/status`, with the same API key or the IT Docs
session (the Integrations page polls it): the status, its reason, customers done of total while a
sync runs, and when the last sync ended and the next manual sync may start (with a session: one
read of the session, its user and account and the integration; with a key: the key, its user,
the integration). While the integration is being deleted, `beingDeleted` is true and
`removalStartsBy` says when its removal starts at the latest (null: under way); once removed,
the answer is 404, which the polling page takes as "deleted".

`GET /itdocs/api/organizations/{organization_id}/status`, with the IT Docs session: whether the
organization is being deleted (404 once it is gone); the organization pages poll it while it is
(one read: the session, its user and account and the organization).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import errors, runtime
from chalicelib.itdocs import acting, api_keys
from chalicelib.itdocs.acting import SyncUser
from chalicelib.itdocs.routes.pages import organization_for_json, session_for_sync
from chalicelib.sync import integrations
from chalicelib.sync.lifecycle import BEING_DELETED
from chalicelib.web import http
from chalicelib.web.errors import json_error
from chalicelib.web.page import Page
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


def status_info(integration: integrations.Integration) -> dict[str, Any]:
    """The sync information plus the progress, whether it is still under way, and whether (and
    from when at the latest) the integration is being removed."""
    return {
        **sync_info(integration),
        "inProgress": integration.in_progress,
        "done": integration.progress_done,
        "total": integration.progress_total,
        "beingDeleted": integration.status == BEING_DELETED,
        "removalStartsBy": _iso(integration.removal_starts_by),
    }


def _key_holder(request: Request) -> SyncUser:
    """Whom the `x-api-key` header's IT Docs API key acts for (NotAuthenticated without one)."""
    key = str(request.headers.get("x-api-key") or "")
    if not key:
        raise errors.NotAuthenticated("Send an IT Docs API key in the x-api-key header.")
    rt = runtime.current()
    return acting.for_api_key(rt, api_keys.verify(rt, key))


def _key_or_session(request: Request, integration_id: str) -> SyncUser:
    """The API key's holder when one is sent, else the signed-in IT Docs user (no banner), with
    the integration read with the session."""
    if request.headers.get("x-api-key"):
        return _key_holder(request)
    return session_for_sync(Page(request, "itdocs"), integration_id)


@json_route(routes, "/api/integrations/{integration_id}/sync", methods=["POST"],
            error_body=_error_body)
def start_sync(request: Request, integration_id: str) -> Response:
    """Start a manual sync for the user an API key acts for; the run goes on in the background."""
    started = integrations.start_manual_sync(runtime.current(), _key_holder(request),
                                             integration_id)
    return http.json_response(status_info(started), status=202)


@json_route(routes, "/api/integrations/{integration_id}/status")
def sync_status(request: Request, integration_id: str) -> Response:
    """The integration's status and progress (polled by the Integrations page)."""
    found = integrations.get(runtime.current(), _key_or_session(request, integration_id),
                             integration_id)
    return http.json_response(status_info(found))


@json_route(routes, "/api/organizations/{organization_id}/status")
def organization_status(request: Request, organization_id: str) -> Response:
    """Whether the organization is being deleted (polled by its pages until it is gone)."""
    found = organization_for_json(Page(request, "itdocs"), organization_id)
    return http.json_response({"organizationId": found.organization_id, "name": found.name,
                               "beingDeleted": found.deleting})
