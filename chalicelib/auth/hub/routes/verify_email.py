"""/hub/verify-email/{user_id}: confirm an email address from its mailed link."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import email_verification
from chalicelib.errors import InvalidInput
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)
TEMPLATE = "hub/verify_email.html"


@page_route(routes, "/verify-email/{user_id}", "hub")
def verify_form(page: Page, user_id: str) -> Response:
    """The address and a Confirm button (a mail scanner that opens the link confirms nothing)."""
    token = page.query().get("token", "")[:100]
    try:
        user, address = email_verification.waiting_address(page.runtime, user_id, token)
    except InvalidInput as error:
        return page.render(TEMPLATE, status=400, user=None, address="", token="",
                           error=error.message, done=False)
    return page.render(TEMPLATE, user=user, address=address, token=token, error=None,
                       done=False)


@page_route(routes, "/verify-email/{user_id}", "hub", methods=["POST"])
def verify_submit(page: Page, user_id: str) -> Response:
    form = page.form()
    token = form.get("token", "")[:100]
    try:
        user = email_verification.verify(page.runtime, user_id, token)
    except InvalidInput as error:
        return page.render(TEMPLATE, status=400, user=None, address="", token="",
                           error=error.message, done=False)
    return page.render(TEMPLATE, user=user, address=user.email, token="", error=None, done=True)
