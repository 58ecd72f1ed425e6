"""/hub/oidc/...: the hub's OpenID Connect endpoints (authorize, token, userinfo, JWKS, logout)."""

from __future__ import annotations

import hmac

from chalice.app import Blueprint, Request, Response

from chalicelib import errors, runtime
from chalicelib.auth.hub import sessions
from chalicelib.auth.hub.oidc import clients, keys, prompts, provider
from chalicelib.auth.hub.routes.pages import HUB, NO_STORE, PUBLIC_CACHE
from chalicelib.auth.hub.sessions import HubSession, HubUser
from chalicelib.web import http
from chalicelib.web.errors import status_of
from chalicelib.web.page import Page
from chalicelib.web.routing import json_route, page_route
from chalicelib.web.signin import show_banner

routes = Blueprint(__name__)
LOGOUT_FIELDS = ("id_token_hint", "post_logout_redirect_uri", "client_id", "state")


def _oauth_body(error: errors.LinkhubError, challenge: str) -> Response:
    """RFC 6749 section 5.2 error JSON; 401s carry the WWW-Authenticate challenge."""
    if isinstance(error, errors.OAuthError):
        status, body = error.status, {"error": error.error}
        if error.description:
            body["error_description"] = error.description
    else:
        status, _ = status_of(error)
        body = {"error": {503: "temporarily_unavailable"}.get(
            status, "invalid_request" if status < 500 else "server_error")}
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = challenge
    return http.json_response(body, status=status, headers=headers)


def _token_error(error: errors.LinkhubError) -> Response:
    return _oauth_body(error, 'Basic realm="hub"')


def _userinfo_error(error: errors.LinkhubError) -> Response:
    return _oauth_body(error, 'Bearer realm="hub", error="invalid_token"')


# -- metadata --------------------------------------------------------------------------------------
@json_route(routes, "/oidc/jwks")
def jwks(request: Request) -> Response:
    return http.json_response(keys.keyring(runtime.current()).jwks(), headers=PUBLIC_CACHE)


# -- authorization endpoint ------------------------------------------------------------------------
def _authorize_params(page: Page) -> dict[str, list[str]]:
    if page.request.method == "POST":
        return http.form_lists(page.request)
    query = page.request.query_params
    return {name: list(query.getlist(name)) for name in query} if query else {}


def _oidc_error(page: Page, error: errors.LinkhubError) -> Response:
    status, code = status_of(error)
    return page.render("hub/oidc_error.html", status=status, code=code, message=error.message)


def _hub_session(page: Page) -> tuple[HubSession, HubUser] | None:
    try:
        session, user = sessions.resume(page.runtime, page.read_cookie(sessions.COOKIE))
    except errors.NotAuthenticated:
        return None
    show_banner(page, HUB, user)
    return session, user


@page_route(routes, "/oidc/authorize", "hub", methods=["GET", "POST"])
def authorize(page: Page) -> Response:
    params = _authorize_params(page)
    try:
        request = provider.parse_authorization(page.runtime, params)
        signed = None if prompts.wants_fresh_login(request) else _hub_session(page)
        if signed is None:
            return page.redirect(prompts.login_location(page.runtime, request, params))
        return page.redirect(provider.authorize(page.runtime, request, *signed))
    except provider.RedirectedError as error:
        return page.redirect(error.location)
    except (provider.UntrustedRedirect, errors.Forbidden) as error:
        return _oidc_error(page, error)


# -- token and userinfo endpoints ------------------------------------------------------------------
@json_route(routes, "/oidc/token", methods=["POST"], error_body=_token_error)
def token(request: Request) -> Response:
    rt = runtime.current()
    fields = http.form_lists(request)
    if any(len(values) > 1 for values in fields.values()):
        raise errors.OAuthError("invalid_request", "A parameter appears more than once.")
    form = {name: values[0] for name, values in fields.items()}
    client = clients.authenticate_request(rt, request.headers.get("authorization", ""), form)
    return http.json_response(provider.exchange_code(rt, client, form), headers=NO_STORE)


@json_route(routes, "/oidc/userinfo", methods=["GET", "POST"], error_body=_userinfo_error)
def userinfo(request: Request) -> Response:
    claims = provider.userinfo(runtime.current(), request.headers.get("authorization"))
    return http.json_response(claims, headers=NO_STORE)


# -- end session -----------------------------------------------------------------------------------
def _logged_out(page: Page, target: str | None) -> Response:
    page.clear_cookie(sessions.COOKIE)
    return page.redirect(target) if target else page.render("hub/oidc_logged_out.html")


@page_route(routes, "/oidc/logout", "hub")
def logout_confirm(page: Page) -> Response:
    params = {k: v for k, v in page.query().items() if k in LOGOUT_FIELDS}
    try:
        target, hint_sid = provider.logout_target(page.runtime, params)
    except provider.UntrustedRedirect as error:
        return _oidc_error(page, error)
    signed = _hub_session(page)
    if signed is None:
        return _logged_out(page, target)
    session, user = signed
    if hint_sid and hmac.compare_digest(str(hint_sid), provider.sid_of(session.session_key)):
        provider.end_session(page.runtime, session, user)  # the module proved it is this session
        return _logged_out(page, target)
    if target:
        page.allow_form_target(target)  # the confirmation's POST ends there
    return page.render("hub/oidc_logout.html", fields=params)


@page_route(routes, "/oidc/logout", "hub", methods=["POST"])
def logout_submit(page: Page) -> Response:
    form = page.form()
    params = {k: v for k, v in form.items() if k in LOGOUT_FIELDS and v}
    try:
        target, _ = provider.logout_target(page.runtime, params)
    except provider.UntrustedRedirect as error:
        return _oidc_error(page, error)
    signed = _hub_session(page)
    if signed is not None:
        provider.end_session(page.runtime, *signed)
    return _logged_out(page, target)
