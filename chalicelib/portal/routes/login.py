"""Local login to the Partner Portal (`/portal/login`): email or username, then password."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput, LoginFailed, SessionEnded
from chalicelib.portal import portal_login, sessions
from chalicelib.portal.routes.pages import HOME
from chalicelib.web import http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)


def _source_address(page: Page) -> str:
    """The caller's address as API Gateway saw it (never a header the caller could forge)."""
    identity = (page.request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")[:64]


@page_route(routes, "/login", "portal")
def login_form(page: Page) -> Response:
    """The login form; after a session was ended for its user, it says so (and nothing more)."""
    query = page.query()
    next_path = http.local_path(query.get("next"), HOME)
    notice = SessionEnded.public_message if query.get("ended") == "1" else None
    return page.render("portal/login.html", next=next_path, error=None, identifier="",
                       notice=notice)


@page_route(routes, "/login", "portal", methods=["POST"])
def login_submit(page: Page) -> Response:
    form = page.form()
    next_path = http.local_path(form.get("next"), HOME)
    identifier = form.get("identifier", "")
    try:
        token, _ = portal_login.log_in(page.runtime, identifier, form.get("password", ""),
                                       _source_address(page), page.read_cookie(sessions.COOKIE))
    except (LoginFailed, InvalidInput) as error:
        status = 401 if isinstance(error, LoginFailed) else 400
        return page.render("portal/login.html", status=status, next=next_path,
                           error=error.message, identifier=identifier)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(http.local_path(next_path, HOME))
