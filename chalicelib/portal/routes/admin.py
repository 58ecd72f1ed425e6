"""The Partner Portal's admin pages (`/portal/admin/...`): users, API keys, security settings."""

from __future__ import annotations

from dataclasses import dataclass

from chalice.app import Blueprint, Response

from chalicelib.errors import (
    AlreadyExists,
    ConcurrentChange,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    UpstreamError,
)
from chalicelib.portal import api_keys, enable_login, security_settings, users
from chalicelib.portal.policy import ROLES, can
from chalicelib.portal.routes.pages import (
    FLASHES,
    PORTAL,
    SECURITY,
    signed_in_about,
    signed_in_with_key_uses,
    to_hub,
)
from chalicelib.portal.security_settings import JIT_ROLES
from chalicelib.portal.users import PortalUser
from chalicelib.web import flash, http, params
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
USER_STATUSES = {"deactivate": users.DEACTIVATED, "reactivate": users.ACTIVE,
                 "delete": users.DELETED}


# -- Admin > Users ---------------------------------------------------------------------------------
def _users_page(page: Page, actor: PortalUser, status: int = 200,
                error: str | None = None) -> Response:
    return page.render("portal/users.html", status=status, users=users.company_users(actor),
                       roles=ROLES, error=error, flash=flash.message(FLASHES, page.query()),
                       can_manage=lambda target: can(actor, "user.manage", target))


@page_route(routes, "/admin/users", "portal")
def users_page(page: Page) -> Response:
    return _users_page(page, signed_in(page, PORTAL))


@page_route(routes, "/admin/users", "portal", methods=["POST"])
def users_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    try:
        created = users.create_user(
            page.runtime, actor, username=form.get("username", ""),
            email=form.get("email", ""), name=form.get("name", ""),
            role=form.get("role", ""), password=form.get("password", ""))
    except (InvalidInput, AlreadyExists) as error:
        return _users_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/admin/users", "user_created",
                                        name=created.username))


@page_route(routes, "/admin/users/{user_id}", "portal", methods=["POST"])
def users_change(page: Page, user_id: str) -> Response:
    form = page.form()
    actor, target = signed_in_about(page, user_id)
    status = USER_STATUSES.get(form.get("action", ""))
    if status is None:
        raise InvalidInput("Unknown action.")
    try:
        target = users.set_status(page.runtime, actor, user_id, status, target)
    except InvalidInput as error:
        return _users_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/admin/users", f"user_{status}",
                                        name=target.username))


# -- Admin > Integrations > API Keys ---------------------------------------------------------------
@dataclass(frozen=True)
class PostedScope:
    """What a key form's scope fields said, kept to show the form again as it was sent."""

    choice: str = "all"  # "all" | "chosen"
    ticked: frozenset[str] = frozenset()


def _posted_scope(page: Page) -> PostedScope:
    """The scope fields of a key form (call after `page.form()` has checked its CSRF token)."""
    fields = http.form_lists(page.request)
    return PostedScope((fields.get("scope") or ["all"])[0],
                       frozenset(fields.get("customers", [])))


def _scope_ids(posted: PostedScope) -> frozenset[int] | None:
    """The customers the form limits a key to (None: all), every id ASCII digits, or 400."""
    if posted.choice not in ("all", "chosen"):
        raise InvalidInput("Choose All customers or Only the ticked customers.")
    if posted.choice == "all":
        if posted.ticked:
            raise InvalidInput("You ticked customers but chose All customers: choose Only the "
                               "ticked customers, or untick them.")
        return None
    if len(posted.ticked) > api_keys.MAX_SCOPE:
        raise InvalidInput(f"A key can be limited to at most {api_keys.MAX_SCOPE} customers; "
                           "choose All customers for more.")
    ids = [params.ascii_int(value) for value in posted.ticked]
    if any(i is None for i in ids):
        raise InvalidInput("Choose customers from the list.")
    return frozenset(i for i in ids if i is not None)


def _api_keys_page(page: Page, actor: PortalUser, status: int = 200,
                   new_key: api_keys.NewApiKey | None = None, error: str | None = None,
                   posted: PostedScope = PostedScope()) -> Response:
    shown = api_keys.overview(actor)
    return page.render("portal/api_keys.html", status=status, rows=shown.rows,
                       customers=shown.customers, all_customers=api_keys.ALL_CUSTOMERS,
                       new_key=new_key, error=error, posted=posted, created=False,
                       flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/admin/api-keys", "portal")
def api_keys_page(page: Page) -> Response:
    return _api_keys_page(page, signed_in_with_key_uses(page))


@page_route(routes, "/admin/api-keys", "portal", methods=["POST"])
def api_keys_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, PORTAL)
    posted = _posted_scope(page)
    try:
        new_key = api_keys.create(page.runtime, actor, form.get("label", ""), _scope_ids(posted))
    except InvalidInput as error:
        return _api_keys_page(page, actor, status=400, error=error.message, posted=posted)
    # Rendered, not redirected: the secret appears in this one response and nowhere else. The
    # answer shows the new key alone (its scope named as the create read it), not the lists.
    return page.render("portal/api_keys.html", status=201, new_key=new_key, created=True,
                       rows=[api_keys.KeyRow(new_key.key, new_key.scope_names)], customers=[],
                       all_customers=api_keys.ALL_CUSTOMERS, error=None, posted=PostedScope(),
                       flash=None)


@page_route(routes, "/admin/api-keys/{public_key}/scope", "portal", methods=["POST"])
def api_keys_scope(page: Page, public_key: str) -> Response:
    page.form()
    actor = signed_in(page, PORTAL)
    try:
        api_keys.change_scope(page.runtime, actor, public_key, _scope_ids(_posted_scope(page)))
    except InvalidInput as error:
        return _api_keys_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location("/portal/admin/api-keys", "key_scope_saved",
                                        key=public_key))


@page_route(routes, "/admin/api-keys/{public_key}/revoke", "portal", methods=["POST"])
def api_keys_revoke(page: Page, public_key: str) -> Response:
    page.form()
    actor = signed_in(page, PORTAL)
    api_keys.revoke(page.runtime, actor, public_key)
    return page.redirect(flash.location("/portal/admin/api-keys", "key_revoked", key=public_key))


# -- Admin > Security Settings ---------------------------------------------------------------------
def security_page(page: Page, actor: PortalUser, status: int = 200,
                  error: str | None = None) -> Response:
    """The Security Settings page, with an error when a change was refused (then the settings
    are read again: the change may have been made in part)."""
    shown = security_settings.overview(page.runtime, actor, fresh=status != 200)
    return page.render("portal/security.html", status=status, settings=shown.settings,
                       rows=shown.rows, audit=shown.audit, jit_roles=JIT_ROLES, error=error,
                       flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/admin/security", "portal")
def security_view(page: Page) -> Response:
    return security_page(page, signed_in(page, PORTAL))


def _choices(form: dict[str, str], prefix: str = "") -> security_settings.Choices:
    """The one form's toggles (a checkbox sends "on" only when ticked) and default role;
    with `prefix="shown_"`, the values the form showed when it was loaded."""
    return security_settings.Choices(
        require_hub_login=form.get(f"{prefix}require_hub_login") == "on",
        auto_create_users=form.get(f"{prefix}auto_create_users") == "on",
        default_role=form.get(f"{prefix}default_role", ""),
        auto_deactivate_users=form.get(f"{prefix}auto_deactivate_users") == "on")


def _exception_button(form: dict[str, str]) -> tuple[str, bool] | None:
    """(user id, True for Add / False for Delete) when a row's button sent the form."""
    for name, add in (("add_exception", True), ("delete_exception", False)):
        if name in form:
            return params.optional(params.USER_ID, form[name]), add
    return None


@page_route(routes, "/admin/security", "portal", methods=["POST"])
def security_save(page: Page) -> Response:
    """The one Save (or a row's Add / Delete): every setting of the form is kept."""
    form = page.form()
    actor = signed_in(page, PORTAL)
    button = _exception_button(form)
    try:
        shown = _choices(form, "shown_") if "shown_default_role" in form else None
        security_settings.save(page.runtime, actor, _choices(form), shown)
        if button is not None:
            security_settings.set_exception(page.runtime, actor, *button)
    except (InvalidInput, NotFound, ConcurrentChange) as error:
        return security_page(page, actor, status=400, error=error.message)
    done = "security_saved" if button is None else \
        ("exception_added" if button[1] else "exception_deleted")
    return page.redirect(flash.location(SECURITY, done))


@page_route(routes, "/admin/security/link", "portal", methods=["POST"])
def security_link(page: Page) -> Response:
    """Enable Login with Hub; "Sign in as a different hub user" asks the hub for its login."""
    form = page.form()
    actor = signed_in(page, PORTAL)
    return to_hub(page, security_settings.start_link(page.runtime, actor, SECURITY,
                                                     fresh_login=form.get("fresh") == "1"))


@page_route(routes, "/admin/security/link", "portal")
def security_link_confirm_form(page: Page) -> Response:
    """"You are signed in to the hub as ... Link?": who is linking, before anything is linked."""
    actor = signed_in(page, PORTAL)
    try:
        waiting = enable_login.pending(page.runtime, actor, page.read_cookie(enable_login.COOKIE))
    except NotAuthenticated as expired:
        return security_page(page, actor, status=400, error=expired.message)
    return page.render("portal/security_link.html", identity=waiting.identity,
                       may_link=waiting.may_link, error=None)


@page_route(routes, "/admin/security/link/confirm", "portal", methods=["POST"])
def security_link_confirm(page: Page) -> Response:
    """Continue: link to the hub company of the hub user the page showed."""
    form = page.form()
    actor = signed_in(page, PORTAL)
    try:
        settings = enable_login.confirm(page.runtime, actor, page.read_cookie(enable_login.COOKIE),
                                        form.get("subject", ""))
    except (Forbidden, InvalidInput, NotAuthenticated, ConcurrentChange, UpstreamError) as error:
        return security_page(page, actor, status=403 if isinstance(error, Forbidden) else 400,
                             error=error.message)
    page.clear_cookie(enable_login.COOKIE)
    return page.redirect(flash.location(SECURITY, "hub_linked",
                                        company=settings.hub_company_name or ""))


@page_route(routes, "/admin/security/unlink", "portal", methods=["POST"])
def security_unlink(page: Page) -> Response:
    """Disable Login with Hub (what needs it turns off with it)."""
    page.form()
    actor = signed_in(page, PORTAL)
    try:
        security_settings.disable_link(page.runtime, actor)
    except (InvalidInput, ConcurrentChange, UpstreamError) as error:
        return security_page(page, actor, status=400, error=error.message)
    return page.redirect(flash.location(SECURITY, "hub_unlinked"))
