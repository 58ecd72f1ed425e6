"""Hub pages: three-step login, logout, dashboard, user administration."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.auth.hub import accounts, insights, login, modules, sessions
from chalicelib.auth.hub.oidc import provider
from chalicelib.auth.hub.pages import FLASHES, HUB
from chalicelib.auth.hub.policy import MODULES, ROLES
from chalicelib.errors import AlreadyExists, InvalidInput, LoginFailed, NotAuthenticated
from chalicelib.storage.hub import companies as store
from chalicelib.web import flash, http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

hub_routes = Blueprint(__name__)
LOGIN_COOKIE = "login"
LOGIN_STEP_PAGES = {"push": "/hub/login/push", "totp": "/hub/login/verify",
                    "enroll": "/hub/login/enroll"}


def finish_login(page: Page, token: str, next_path: str) -> Response:
    """The second factor passed: the attempt ends and the new session's cookie is set."""
    page.clear_cookie(LOGIN_COOKIE)
    page.set_cookie(sessions.COOKIE, token)
    return page.redirect(http.local_path(next_path, "/hub/"))


# -- login -----------------------------------------------------------------------------------------
@page_route(hub_routes, "/login", "hub")
def login_form(page: Page) -> Response:
    next_path = http.local_path(page.query().get("next"), "/hub/")
    return page.render("hub/login_start.html", next=next_path, error=None, values={})


@page_route(hub_routes, "/login", "hub", methods=["POST"])
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


@page_route(hub_routes, "/login/password", "hub")
def password_form(page: Page) -> Response:
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "password")
    return page.render("hub/login_password.html", attempt=attempt, error=None)


@page_route(hub_routes, "/login/password", "hub", methods=["POST"])
def password_submit(page: Page) -> Response:
    form = page.form()
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "password")
    try:
        attempt = login.check_password(page.runtime, attempt, form.get("password", ""),
                                       http.user_agent(page.request))
    except LoginFailed as error:
        return page.render("hub/login_password.html", status=401, attempt=attempt,
                           error=error.message)
    return to_login_step(page, attempt)


def to_login_step(page: Page, attempt: login.Attempt) -> Response:
    """Remember the attempt and go to the page of its step (push, 2FA token or enrollment)."""
    page.set_cookie(LOGIN_COOKIE, login.seal(page.runtime, attempt), max_age=login.ATTEMPT_MAX_AGE)
    return page.redirect(LOGIN_STEP_PAGES[attempt.step])


@page_route(hub_routes, "/login/verify", "hub")
def verify_form(page: Page) -> Response:
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "totp")
    return page.render("hub/login_verify.html", attempt=attempt, error=None)


@page_route(hub_routes, "/login/verify", "hub", methods=["POST"])
def verify_submit(page: Page) -> Response:
    form = page.form()
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "totp")
    try:
        token, _, _ = login.verify_code(page.runtime, attempt, form.get("code", ""),
                                        page.read_cookie(sessions.COOKIE))
    except InvalidInput as error:
        return page.render("hub/login_verify.html", status=400, attempt=attempt,
                           error=error.message)
    return finish_login(page, token, attempt.next)


@page_route(hub_routes, "/login/enroll", "hub")
def enroll_form(page: Page) -> Response:
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "enroll")
    uri, qr = login.enrollment(page.runtime, attempt)
    return page.render("hub/login_enroll.html", attempt=attempt, uri=uri, qr=qr, error=None)


@page_route(hub_routes, "/login/enroll", "hub", methods=["POST"])
def enroll_submit(page: Page) -> Response:
    form = page.form()
    attempt = login.unseal(page.runtime, page.read_cookie(LOGIN_COOKIE), "enroll")
    try:
        token, _, _ = login.complete_enrollment(page.runtime, attempt, form.get("code", ""),
                                                page.read_cookie(sessions.COOKIE))
    except InvalidInput as error:
        uri, qr = login.enrollment(page.runtime, attempt)
        return page.render("hub/login_enroll.html", status=400, attempt=attempt, uri=uri, qr=qr,
                           error=error.message)
    return finish_login(page, token, attempt.next)


@page_route(hub_routes, "/logout", "hub", methods=["POST"])
def logout(page: Page) -> Response:
    page.form()
    token = page.read_cookie(sessions.COOKIE)
    try:
        session, user = sessions.resume(page.runtime, token)
    except NotAuthenticated:
        sessions.end(token)
    else:  # modules hear `session.ended` and end the sessions this one started
        provider.end_session(page.runtime, session, user)
    page.clear_cookie(sessions.COOKIE)
    return page.redirect("/hub/login")


# -- dashboard -------------------------------------------------------------------------------------
@page_route(hub_routes, "/", "hub")
def dashboard(page: Page) -> Response:
    user = signed_in(page, HUB)
    company = store.get_company(user.company_id)
    return page.render("hub/dashboard.html", user=user, company=company,
                       modules=modules.my_modules(user, company),
                       insights=insights.for_dashboard(user, company.linked_modules))


# -- user administration (Master users) ------------------------------------------------------------
@page_route(hub_routes, "/admin/users", "hub")
def users_page(page: Page) -> Response:
    user = signed_in(page, HUB)
    return page.render("hub/users.html", users=accounts.company_users(user), roles=ROLES,
                       modules=MODULES, error=None, created=None,
                       flash=flash.message(FLASHES, page.query()))


@page_route(hub_routes, "/admin/users", "hub", methods=["POST"])
def users_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, HUB)
    company = store.get_company(actor.company_id)
    try:
        created = accounts.create_user(
            page.runtime, company, username=form.get("username", ""), email=form.get("email", ""),
            name=form.get("name", ""), password=form.get("password", ""),
            role=form.get("role", "User"),
            modules=[m for m in MODULES if form.get(f"module_{m}") == "on"], actor=actor)
    except (InvalidInput, AlreadyExists) as error:
        return page.render("hub/users.html", status=400, users=accounts.company_users(actor),
                           roles=ROLES, modules=MODULES, error=error.message, created=None,
                           flash="")
    return page.redirect(flash.location("/hub/admin/users", "user_created", name=created.username))


@page_route(hub_routes, "/admin/users/{user_id}", "hub", methods=["POST"])
def users_change(page: Page, user_id: str) -> Response:
    form = page.form()
    actor = signed_in(page, HUB)
    action = form.get("action", "")
    rt = page.runtime
    if action in {"deactivate", "reactivate", "delete"}:
        status = {"deactivate": "deactivated", "reactivate": "active", "delete": "deleted"}[action]
        target = accounts.set_status(rt, actor, user_id, status)
    elif action == "reset_mfa":
        target = accounts.reset_mfa(rt, actor, user_id)
    elif action in {"grant", "revoke"}:
        target = accounts.set_module_access(rt, actor, user_id, form.get("module", ""),
                                            action == "grant")
    else:
        raise InvalidInput("Unknown action.")
    return page.redirect(flash.location("/hub/admin/users", action, name=target.username))
