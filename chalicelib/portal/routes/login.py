"""Local login to the Partner Portal (`/portal/login`): password, then a company when several."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput, LoginFailed
from chalicelib.portal import portal_login, sessions
from chalicelib.portal.routes.pages import HOME
from chalicelib.web import http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

routes = Blueprint(__name__)
CHOICE_COOKIE = "choice"


def _start_session(page: Page, token: str, next_path: str) -> Response:
    page.clear_cookie(CHOICE_COOKIE)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(http.local_path(next_path, HOME))


@page_route(routes, "/login", "portal")
def login_form(page: Page) -> Response:
    next_path = http.local_path(page.query().get("next"), HOME)
    return page.render("portal/login.html", next=next_path, error=None, identifier="")


@page_route(routes, "/login", "portal", methods=["POST"])
def login_submit(page: Page) -> Response:
    form = page.form()
    next_path = http.local_path(form.get("next"), HOME)
    identifier = form.get("identifier", "")
    try:
        matched = portal_login.check_password(page.runtime, identifier, form.get("password", ""))
    except (LoginFailed, InvalidInput) as error:
        status = 401 if isinstance(error, LoginFailed) else 400
        return page.render("portal/login.html", status=status, next=next_path,
                           error=error.message, identifier=identifier)
    if len(matched) == 1:
        token, _ = portal_login.complete(page.runtime, matched[0],
                                         page.read_cookie(sessions.COOKIE))
        return _start_session(page, token, next_path)
    page.set_cookie(CHOICE_COOKIE, portal_login.seal_choice(page.runtime, matched, next_path),
                    max_age=portal_login.CHOICE_MAX_AGE)
    return page.redirect("/portal/login/choose")


@page_route(routes, "/login/choose", "portal")
def choose_form(page: Page) -> Response:
    accounts = portal_login.accounts_offered(page.runtime, page.read_cookie(CHOICE_COOKIE))
    return page.render("portal/choose.html", accounts=accounts, error=None)


@page_route(routes, "/login/choose", "portal", methods=["POST"])
def choose_submit(page: Page) -> Response:
    form = page.form()
    token, _, next_path = portal_login.choose(page.runtime, page.read_cookie(CHOICE_COOKIE),
                                              form.get("user_id", ""),
                                              page.read_cookie(sessions.COOKIE))
    return _start_session(page, token, next_path)
