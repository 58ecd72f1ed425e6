"""/hub/push/...: the push device's JSON API (enroll, list pending sign-ins, answer one)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import runtime
from chalicelib.auth.hub import security_alerts
from chalicelib.auth.hub.push import challenges, devices
from chalicelib.errors import InvalidInput
from chalicelib.web import http, json_body
from chalicelib.web.routing import json_route

routes = Blueprint(__name__)


# A device sends an object of a few short strings: 8 KiB and two levels are plenty.
MAX_BODY_BYTES = 8 * 1024
MAX_BODY_DEPTH = 2


def _json_body(request: Request) -> dict[str, Any]:
    return json_body.json_object(request.raw_body, max_bytes=MAX_BODY_BYTES,
                                 max_depth=MAX_BODY_DEPTH)


def _text(data: dict[str, Any], name: str, limit: int = 512) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{name} must be a string.", field=name)
    return value


@json_route(routes, "/push/enroll", methods=["POST"])
def device_enroll(request: Request) -> Response:
    """Register a device's public key with a one-time enrollment credential."""
    data = _json_body(request)
    registration, device = devices.enroll(
        runtime.current(),
        user_id=_text(data, "user_id"),
        credential=_text(data, "credential"),
        algorithm=_text(data, "algorithm"),
        public_key=_text(data, "public_key", 1024),
        name=_text(data, "name"),
        origin=security_alerts.Origin(http.source_address(request), http.user_agent(request)),
    )
    return http.json_response(
        {"user_id": registration.user_id, "device_id": device.device_id, "name": device.name,
         "company": registration.company_name, "username": registration.username},
        status=201,
    )


@json_route(routes, "/push/pending")
def device_pending(request: Request) -> Response:
    """The signing device's user's open sign-in requests (a signed, timestamped request)."""
    pending = devices.pending_for_request(runtime.current(), dict(request.headers))
    return http.json_response({"challenges": pending})


@json_route(routes, "/push/answer", methods=["POST"])
def device_answer(request: Request) -> Response:
    """Approve or deny one sign-in request with a signature over its id, nonce, number, decision."""
    data = _json_body(request)
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise InvalidInput("number must be an integer.", field="number")
    outcome = challenges.answer(
        runtime.current(),
        user_id=_text(data, "user_id"),
        device_id=_text(data, "device_id"),
        challenge_id=_text(data, "challenge_id"),
        nonce=_text(data, "nonce"),
        number=number,
        decision=_text(data, "decision"),
        signature=_text(data, "signature"),
    )
    return http.json_response({"outcome": outcome})
