"""Hub push MFA pages and JSON endpoints, mounted at /hub.

Browser: the account page (devices, enrollment), the login step "Approve the sign-in on your
device" with its status endpoint. Device: enroll, list pending challenges, answer one.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import runtime
from chalicelib.auth.hub import login, sessions
from chalicelib.auth.hub.pages import FLASHES, HUB
from chalicelib.auth.hub.push import challenges, devices
from chalicelib.auth.hub.routes import LOGIN_COOKIE, finish_login, to_login_step
from chalicelib.errors import InvalidInput
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import json_route, page_route
from chalicelib.web.signin import signed_in

push_routes = Blueprint(__name__)
POLL_SECONDS = 1.5


# -- login: the push step --------------------------------------------------------------------------
def _push_attempt(page: Page) -> login.Attempt:
    return login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "push")


def _waiting_page(page: Page, attempt: login.Attempt, error: str | None = None,
                  status: int = 200) -> Response:
    state = login.push_state(page.runtime, attempt)
    return page.render("hub/push_login.html", status=status, attempt=attempt, push=state,
                       error=error, poll_ms=int(POLL_SECONDS * 1000))


@page_route(push_routes, "/login/push", "hub")
def push_wait(page: Page) -> Response:
    """Approve the sign-in on your device: the number to match (one DynamoDB read)."""
    return _waiting_page(page, _push_attempt(page))


@json_route(push_routes, "/login/push/status")
def push_status(request: Request) -> Response:
    """Polled by static/push.js: pending, approved, denied, expired or limited (one read)."""
    page = Page(request, "hub")
    attempt = _push_attempt(page)
    return http.json_response(login.push_state(page.runtime, attempt).as_json())


@page_route(push_routes, "/login/push/complete", "hub", methods=["POST"])
def push_complete(page: Page) -> Response:
    """Finish the login once the device approved; the server re-checks the approval.

    DynamoDB calls: user read, one transaction (use the approval, reset failures), session write.
    """
    page.form()
    attempt = _push_attempt(page)
    try:
        token, _, _ = login.complete_push(page.runtime, attempt, page.read_cookie(sessions.COOKIE))
    except InvalidInput as error:
        return _waiting_page(page, attempt, error=error.message, status=400)
    return finish_login(page, token, attempt.next)


@page_route(push_routes, "/login/push/resend", "hub", methods=["POST"])
def push_resend(page: Page) -> Response:
    page.form()
    attempt = _push_attempt(page)
    try:
        attempt = login.send_push_again(page.runtime, attempt, http.user_agent(page.request))
    except InvalidInput as error:
        return _waiting_page(page, attempt, error=error.message, status=409)
    return to_login_step(page, attempt)


@page_route(push_routes, "/login/push/use-token", "hub", methods=["POST"])
def push_use_token(page: Page) -> Response:
    """Use a 2FA token instead: withdraw the push and go to the code step."""
    page.form()
    return to_login_step(page, login.use_code_instead(_push_attempt(page)))


# -- account page: push devices --------------------------------------------------------------------
def _account_page(page: Page, **context: Any) -> Response:
    user = signed_in(page, HUB)
    values: dict[str, Any] = {"user": user, "devices": devices.devices_of(user), "error": None,
                              "flash": flash.message(FLASHES, page.query())}
    values.update(context)
    return page.render("hub/account.html", **values)


@page_route(push_routes, "/account", "hub")
def account(page: Page) -> Response:
    return _account_page(page)


@page_route(push_routes, "/account/push/enroll", "hub", methods=["POST"])
def account_enroll(page: Page) -> Response:
    """A fresh one-time enrollment credential, shown as a QR code and a payload to copy."""
    page.form()
    user = signed_in(page, HUB)
    try:
        enrollment = devices.start_enrollment(page.runtime, user)
    except InvalidInput as error:
        return _account_page(page, error=error.message)
    return page.render("hub/account_push_enroll.html", user=user, enrollment=enrollment,
                       minutes=int(devices.ENROLLMENT_LIFETIME.total_seconds() // 60))


@page_route(push_routes, "/account/push/devices/{device_id}/remove", "hub", methods=["POST"])
def account_remove_device(page: Page, device_id: str) -> Response:
    page.form()
    user = signed_in(page, HUB)
    devices.remove(page.runtime, user, device_id)
    return page.redirect(flash.location("/hub/account", "device_removed"))


# -- the device's JSON API -------------------------------------------------------------------------
def _json_body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.raw_body or b"{}")
    except ValueError as exc:
        raise InvalidInput("The body must be JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.")
    return data


def _text(data: dict[str, Any], name: str, limit: int = 512) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{name} must be a string.", field=name)
    return value


@json_route(push_routes, "/push/enroll", methods=["POST"])
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
    )
    return http.json_response(
        {"user_id": registration.user_id, "device_id": device.device_id, "name": device.name,
         "company": registration.company_name, "username": registration.username},
        status=201,
    )


@json_route(push_routes, "/push/pending")
def device_pending(request: Request) -> Response:
    """The signing device's user's open sign-in requests (a signed, timestamped request)."""
    rt = runtime.current()
    registration, _ = devices.authenticate_request(rt, dict(request.headers), "pending")
    return http.json_response(
        {"challenges": challenges.pending_for_device(rt, registration.user_id)}
    )


@json_route(push_routes, "/push/answer", methods=["POST"])
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
