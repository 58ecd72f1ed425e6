"""/hub/login...: the three-step login (company and username, password, then a push approval,
a 2FA token or TOTP enrollment), with the push step's status endpoint."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.auth.hub import login, password_reset, security_alerts, sessions
from chalicelib.auth.hub.oidc import clients
from chalicelib.errors import InvalidInput, LoginFailed, NotAuthenticated
from chalicelib.web import http
from chalicelib.web.page import Page
from chalicelib.web.routing import json_route, page_route

routes = Blueprint(__name__)
LOGIN_COOKIE = "login"
LOGIN_STEP_PAGES = {"push": "/hub/login/push", "totp": "/hub/login/verify",
                    "enroll": "/hub/login/enroll"}
POLL_SECONDS = 1.5


def finish_login(page: Page, token: str, next_path: str) -> Response:
    """The second factor passed: the attempt ends and the new session's cookie is set."""
    page.clear_cookie(LOGIN_COOKIE)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(http.local_path(next_path, "/hub/"))


def to_login_step(page: Page, attempt: login.Attempt) -> Response:
    """Remember the attempt and go to the page of its step (push, 2FA token or enrollment)."""
    page.set_cookie(LOGIN_COOKIE, login.seal(page.runtime, attempt), max_age=login.ATTEMPT_MAX_AGE)
    return page.redirect(LOGIN_STEP_PAGES[attempt.step])


def attempt_at(page: Page, step: str) -> login.Attempt:
    """The login attempt in the cookie, if it stands at `step`. Its page's forms may end at the
    registered address of the client it signs in to (CSP form-action also governs the redirects
    after the last step's POST)."""
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), step)
    client_address = clients.return_address(page.runtime, attempt.next)
    if client_address:
        page.allow_form_target(client_address)
    return attempt


# -- step 1: company and username ------------------------------------------------------------------
@page_route(routes, "/login", "hub")
def login_form(page: Page) -> Response:
    next_path = http.local_path(page.query().get("next"), "/hub/")
    return page.render("hub/login_start.html", next=next_path, error=None, values={})


@page_route(routes, "/login", "hub", methods=["POST"])
def login_start(page: Page) -> Response:
    form = page.form()
    next_path = http.local_path(form.get("next"), "/hub/")
    try:
        attempt = login.begin(page.runtime, form.get("company", ""), form.get("username", ""),
                              next_path)
    except InvalidInput as error:
        return page.render("hub/login_start.html", status=400, next=next_path,
                           error=error.message, values=form)
    page.set_cookie(LOGIN_COOKIE, login.seal(page.runtime, attempt), max_age=login.ATTEMPT_MAX_AGE)
    return page.redirect("/hub/login/password")


# -- step 2: password ------------------------------------------------------------------------------
@page_route(routes, "/login/password", "hub")
def password_form(page: Page) -> Response:
    return page.render("hub/login_password.html", attempt=attempt_at(page, "password"), error=None)


@page_route(routes, "/login/password", "hub", methods=["POST"])
def password_submit(page: Page) -> Response:
    form = page.form()
    attempt = attempt_at(page, "password")
    try:
        attempt = login.check_password(page.runtime, attempt, form.get("password", ""),
                                       http.user_agent(page.request))
    except LoginFailed as error:
        return page.render("hub/login_password.html", status=401, attempt=attempt,
                           error=error.message)
    return to_login_step(page, attempt)


# -- step 3: a 2FA token, or enrolling an authenticator --------------------------------------------
@page_route(routes, "/login/verify", "hub")
def verify_form(page: Page) -> Response:
    return page.render("hub/login_verify.html", attempt=attempt_at(page, "totp"), error=None)


@page_route(routes, "/login/verify", "hub", methods=["POST"])
def verify_submit(page: Page) -> Response:
    form = page.form()
    attempt = attempt_at(page, "totp")
    try:
        token, _, _ = login.verify_code(page.runtime, attempt, form.get("code", ""),
                                        page.read_cookie(sessions.COOKIE))
    except InvalidInput as error:
        return page.render("hub/login_verify.html", status=400, attempt=attempt,
                           error=error.message)
    return finish_login(page, token, attempt.next)


@page_route(routes, "/login/enroll", "hub")
def enroll_form(page: Page) -> Response:
    attempt = attempt_at(page, "enroll")
    uri, qr = login.enrollment(page.runtime, attempt)
    return page.render("hub/login_enroll.html", attempt=attempt, uri=uri, qr=qr, error=None)


@page_route(routes, "/login/enroll", "hub", methods=["POST"])
def enroll_submit(page: Page) -> Response:
    form = page.form()
    attempt = attempt_at(page, "enroll")
    try:
        token, _, _ = login.complete_enrollment(page.runtime, attempt, form.get("code", ""),
                                                page.read_cookie(sessions.COOKIE),
                                                security_alerts.Origin(
                                                    http.source_address(page.request),
                                                    http.user_agent(page.request)))
    except InvalidInput as error:
        uri, qr = login.enrollment(page.runtime, attempt)
        return page.render("hub/login_enroll.html", status=400, attempt=attempt, uri=uri, qr=qr,
                           error=error.message)
    return finish_login(page, token, attempt.next)


# -- step 3: the push approval ---------------------------------------------------------------------
def _waiting_page(page: Page, attempt: login.Attempt, error: str | None = None,
                  status: int = 200) -> Response:
    state = login.push_state(page.runtime, attempt)
    return page.render("hub/push_login.html", status=status, attempt=attempt, push=state,
                       error=error, poll_ms=int(POLL_SECONDS * 1000))


@page_route(routes, "/login/push", "hub")
def push_wait(page: Page) -> Response:
    """Approve the sign-in on your device: the number to match (one DynamoDB read)."""
    return _waiting_page(page, attempt_at(page, "push"))


@json_route(routes, "/login/push/status")
def push_status(request: Request) -> Response:
    """Polled by static/push.js: pending, approved, denied, expired or limited (one read)."""
    page = Page(request, "hub")
    attempt = attempt_at(page, "push")
    return http.json_response(login.push_state(page.runtime, attempt).as_json())


@page_route(routes, "/login/push/complete", "hub", methods=["POST"])
def push_complete(page: Page) -> Response:
    """Finish the login once the device approved; the server re-checks the approval.

    DynamoDB calls: user read, one transaction (use the approval, reset failures), session write.
    """
    page.form()
    attempt = attempt_at(page, "push")
    try:
        token, _, _ = login.complete_push(page.runtime, attempt, page.read_cookie(sessions.COOKIE))
    except InvalidInput as error:
        return _waiting_page(page, attempt, error=error.message, status=400)
    return finish_login(page, token, attempt.next)


@page_route(routes, "/login/push/resend", "hub", methods=["POST"])
def push_resend(page: Page) -> Response:
    page.form()
    attempt = attempt_at(page, "push")
    try:
        attempt = login.send_push_again(page.runtime, attempt, http.user_agent(page.request))
    except InvalidInput as error:
        return _waiting_page(page, attempt, error=error.message, status=409)
    return to_login_step(page, attempt)


@page_route(routes, "/login/push/use-token", "hub", methods=["POST"])
def push_use_token(page: Page) -> Response:
    """Use a 2FA token instead: withdraw the push and go to the code step."""
    page.form()
    return to_login_step(page, login.use_code_instead(attempt_at(page, "push")))


# -- forgot password: a single-use link by mail ----------------------------------------------------
def _known_login(page: Page) -> dict[str, str]:
    """Company and username of the login attempt in progress, to fill the form (else empty)."""
    try:
        attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "password")
    except NotAuthenticated:
        return {}
    return {"company": attempt.company, "username": attempt.username}


@page_route(routes, "/login/forgot", "hub")
def forgot_form(page: Page) -> Response:
    return page.render("hub/login_forgot.html", error=None, values=_known_login(page))


@page_route(routes, "/login/forgot", "hub", methods=["POST"])
def forgot_submit(page: Page) -> Response:
    """The same answer whatever exists: the lookup and the mail happen on the mail queue."""
    form = page.form()
    try:
        password_reset.request(page.runtime, form.get("company", ""), form.get("username", ""),
                               form.get("email", ""))
    except InvalidInput as error:
        return page.render("hub/login_forgot.html", status=400, error=error.message, values=form)
    return page.render("hub/login_forgot_sent.html")


@page_route(routes, "/login/reset", "hub")
def reset_form(page: Page) -> Response:
    token = page.query().get("token", "")[:100]
    try:
        password_reset.usable_link(page.runtime, token)
    except InvalidInput as error:
        return page.render("hub/login_reset.html", status=400, token="", error=error.message)
    return page.render("hub/login_reset.html", token=token, error=None)


@page_route(routes, "/login/reset", "hub", methods=["POST"])
def reset_submit(page: Page) -> Response:
    """Set the new password; no session starts: the next login asks for the 2FA token too."""
    form = page.form()
    token = form.get("token", "")[:100]
    try:
        password_reset.set_password(page.runtime, token, form.get("password", ""),
                                    form.get("confirmation", ""))
    except InvalidInput as error:
        still_usable = error.field == "password"
        return page.render("hub/login_reset.html", status=400, error=error.message,
                           token=token if still_usable else "")
    page.clear_cookie(LOGIN_COOKIE)
    return page.render("hub/login_reset_done.html")
