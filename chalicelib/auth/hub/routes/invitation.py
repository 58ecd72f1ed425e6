"""/hub/invitation/{user_id}: an invited user sets their first password, then enrolls 2FA."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import invitations
from chalicelib.auth.hub.routes.login import to_login_step
from chalicelib.errors import InvalidInput
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)
TEMPLATE = "hub/invitation.html"


@page_route(routes, "/invitation/{user_id}", "hub")
def invitation_form(page: Page, user_id: str) -> Response:
    """The password form, if the link is live; else one message and no form."""
    token = page.query().get("token", "")[:100]
    try:
        user = invitations.invited_user(page.runtime, user_id, token)
    except InvalidInput as error:
        return page.render(TEMPLATE, status=400, user=None, token="", error=error.message)
    return page.render(TEMPLATE, user=user, token=token, error=None)


@page_route(routes, "/invitation/{user_id}", "hub", methods=["POST"])
def invitation_accept(page: Page, user_id: str) -> Response:
    """Set the password (once); the login goes on at its TOTP enrolment step."""
    form = page.form()
    token = form.get("token", "")[:100]
    try:
        attempt = invitations.accept(page.runtime, user_id, token, form.get("password", ""),
                                     form.get("confirmation", ""))
    except InvalidInput as error:
        if error.field != "password":
            return page.render(TEMPLATE, status=400, user=None, token="", error=error.message)
        user = invitations.invited_user(page.runtime, user_id, token)
        return page.render(TEMPLATE, status=400, user=user, token=token, error=error.message)
    return to_login_step(page, attempt)
