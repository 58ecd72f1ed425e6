"""/hub/account...: the signed-in user's account page: their password and their push devices."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import accounts, security_alerts, sessions
from chalicelib.auth.hub.push import devices
from chalicelib.auth.hub.routes.pages import FLASHES, HUB
from chalicelib.errors import ConcurrentChange, InvalidInput, TooManyRequests
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


def _account_page(page: Page, **context: Any) -> Response:
    user = signed_in(page, HUB)
    values: dict[str, Any] = {"user": user, "devices": devices.devices_of(user), "error": None,
                              "password_error": None,
                              "flash": flash.message(FLASHES, page.query())}
    values.update(context)
    return page.render("hub/account.html", status=int(values.pop("status", 200)), **values)


def _origin(page: Page) -> security_alerts.Origin:
    """The address and browser of this request, for the security alert mail."""
    return security_alerts.Origin(http.source_address(page.request), http.user_agent(page.request))


@page_route(routes, "/account", "hub")
def account(page: Page) -> Response:
    return _account_page(page)


@page_route(routes, "/account/push/enroll", "hub", methods=["POST"])
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


@page_route(routes, "/account/push/devices/{device_id}/remove", "hub", methods=["POST"])
def account_remove_device(page: Page, device_id: str) -> Response:
    page.form()
    user = signed_in(page, HUB)
    devices.remove(page.runtime, user, device_id, _origin(page))
    return page.redirect(flash.location("/hub/account", "device_removed"))


@page_route(routes, "/account/password", "hub", methods=["POST"])
def account_change_password(page: Page) -> Response:
    """Change the password: the current one, then the new one twice. This session stays signed in;
    every other session of the user, in the hub and in the modules, ends."""
    form = page.form()
    user = signed_in(page, HUB)
    change = accounts.PasswordChange(form.get("current_password", ""), form.get("password", ""),
                                     form.get("confirmation", ""))
    try:
        accounts.change_password(page.runtime, user, page.read_cookie(sessions.COOKIE) or "",
                                 change, _origin(page))
    except (InvalidInput, ConcurrentChange) as error:
        return _account_page(page, password_error=error.message, status=400)
    except TooManyRequests as error:
        return _account_page(page, password_error=error.message, status=429)
    return page.redirect(flash.location("/hub/account", "password_changed"))
