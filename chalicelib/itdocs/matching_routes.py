"""IT Docs matching screen (Integrations > Actions > Matching) and its actions, mounted at /itdocs.

Any user who may view integrations sees the screen; only Administrators and Managers
(`matching.manage`) see and may use its buttons. The integration must belong to the user's account.
Every form carries the version of the customer it was shown for, so a change someone else made in
the meantime is reported instead of overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib.errors import AlreadyExists, ConcurrentChange, Forbidden, InvalidInput, NotFound
from chalicelib.itdocs import organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.itdocs.pages import ITDOCS
from chalicelib.itdocs.policy import can
from chalicelib.matching.suggestions import SUGGESTION_THRESHOLD
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.match_decisions import CustomerMatch
from chalicelib.sync import integrations, match_actions
from chalicelib.sync import matching_screen as screen_state
from chalicelib.web import http
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

# match_actions.accept_suggested / ignore / unignore / unmatch: one customer, the version shown
OneClick = Callable[..., CustomerMatch]

matching_routes = Blueprint(__name__)

SCOPE = "itdocs"
BASE = "/integrations/{integration_id}/matching"
CUSTOMER = BASE + "/{customer_id}"

NOTICES = {
    "accepted": "Suggested match accepted.",
    "bulk": "Selected suggestions accepted.",
    "matched": "Customer matched.",
    "created": "Organization created and matched.",
    "changed": "Match changed.",
    "unmatched": "Customer unmatched.",
    "ignored": "Customer ignored.",
    "unignored": "Customer un-ignored.",
}
QUEUED = "A sync is queued within the hour; Start Manual Sync runs it now."


def _open(page: Page, integration_id: str, *, acting: bool) -> ItDocsUser:
    """The signed-in user, allowed here, for an integration of their own account."""
    user = signed_in(page, ITDOCS)
    if not can(user, "integration.view"):
        raise Forbidden("Only Administrators and Managers can see integrations.")
    if acting and not can(user, "matching.manage"):
        raise Forbidden("Only Administrators and Managers can change matches.")
    integrations.get(page.runtime, user.account_id, integration_id)
    return user


def _screen_url(integration_id: str, **query: str) -> str:
    path = f"/itdocs/integrations/{integration_id}/matching"
    wanted = {key: value for key, value in query.items() if value}
    return f"{path}?{urlencode(wanted)}" if wanted else path


def _version(form: dict[str, str]) -> int | None:
    value = form.get("version", "")
    return int(value) if value.isdigit() else None


# --------------------------------------------------------------------------------------------------
# The screen


@page_route(matching_routes, BASE, SCOPE)
def matching_screen(page: Page, integration_id: str) -> Response:
    user = _open(page, integration_id, acting=False)
    query = page.query()
    return _render_screen(
        page,
        user,
        integration_id,
        tab=query.get("tab", ""),
        search=query.get("q", ""),
        notice=query.get("notice", ""),
        customer_id=query.get("customer", ""),
    )


def _render_screen(
    page: Page,
    user: ItDocsUser,
    integration_id: str,
    *,
    tab: str,
    search: str = "",
    notice: str = "",
    customer_id: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    rt = page.runtime
    names = {o.organization_id: o.name for o in organizations.list_all(rt, user.account_id)}
    screen = screen_state.screen(
        rt, integration_id, tab=tab, query=search, organization_names=names
    )
    flash = ""
    if notice in NOTICES:
        about = _customer_name(user, integration_id, customer_id)
        flash = f"{about + ': ' if about else ''}{NOTICES[notice]} {QUEUED}"
    return page.render(
        "itdocs/matching.html",
        status=status,
        integration_id=integration_id,
        screen=screen,
        organization_names=names,
        can_act=can(user, "matching.manage"),
        threshold=SUGGESTION_THRESHOLD,
        trail=store.audit_trail(integration_id, limit=20),
        flash=flash,
        error=error,
    )


def _one_click(page: Page, integration_id: str, customer_id: str, action: OneClick, tab: str,
               done: str) -> Response:
    """A button on one customer's row (accept, ignore, un-ignore, unmatch)."""

    def change(user: ItDocsUser, form: dict[str, str]) -> str:
        action(page.runtime, user.account_id, integration_id, customer_id, actor=user.email,
               expected_version=_version(form))
        return done

    return _act(page, integration_id, tab, change)


def _act(
    page: Page, integration_id: str, tab: str, change: Callable[[ItDocsUser, dict[str, str]], str]
) -> Response:
    """Run one action for the signed-in user; back to the screen with a notice, or the error."""
    user = _open(page, integration_id, acting=True)
    form = page.form()
    try:
        notice = change(user, form)
    except (ConcurrentChange, InvalidInput) as problem:
        status = 409 if isinstance(problem, ConcurrentChange) else 400
        return _render_screen(
            page, user, integration_id, tab=tab, error=problem.message, status=status
        )
    return page.redirect(
        _screen_url(
            integration_id,
            tab=form.get("tab", tab),
            notice=notice,
            customer=form.get("customer_id", ""),
        )
    )


@page_route(matching_routes, BASE + "/accept-selected", SCOPE, methods=["POST"])
def accept_selected(page: Page, integration_id: str) -> Response:
    selected = http.form_lists(page.request).get("customer_id", [])

    def change(user: ItDocsUser, form: dict[str, str]) -> str:
        if not selected:
            raise InvalidInput("Select the customers whose suggested match to accept.")
        outcome = match_actions.accept_selected(
            page.runtime, user.account_id, integration_id, selected,
            directory=ItDocsDirectory(page.runtime), actor=user.email
        )
        if not outcome.accepted:
            raise InvalidInput("None of the selected customers has a suggestion to accept now.")
        return "bulk"

    return _act(page, integration_id, "unmatched", change)


@page_route(matching_routes, CUSTOMER + "/accept", SCOPE, methods=["POST"])
def accept_suggested(page: Page, integration_id: str, customer_id: str) -> Response:
    accept = partial(match_actions.accept_suggested, directory=ItDocsDirectory(page.runtime))
    return _one_click(page, integration_id, customer_id, accept, "unmatched", "accepted")


@page_route(matching_routes, CUSTOMER + "/ignore", SCOPE, methods=["POST"])
def ignore(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.ignore, "unmatched",
                      "ignored")


@page_route(matching_routes, CUSTOMER + "/unignore", SCOPE, methods=["POST"])
def unignore(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.unignore, "ignored",
                      "unignored")


@page_route(matching_routes, CUSTOMER + "/unmatch", SCOPE, methods=["POST"])
def unmatch(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.unmatch, "matched",
                      "unmatched")


# --------------------------------------------------------------------------------------------------
# Match To / Change Match: search the organizations, pick one


@page_route(matching_routes, CUSTOMER + "/match-to", SCOPE, methods=["GET", "POST"])
def match_to(page: Page, integration_id: str, customer_id: str) -> Response:
    user = _open(page, integration_id, acting=True)
    record = _record(user, integration_id, customer_id)
    if page.request.method == "GET":
        return _render_match_to(page, user, record, page.query().get("q"))
    form = page.form()
    organization_id = form.get("organization_id", "")
    try:
        if record.status == store.MATCHED:
            match_actions.change_match(
                page.runtime,
                user.account_id,
                integration_id,
                customer_id,
                organization_id,
                directory=ItDocsDirectory(page.runtime),
                actor=user.email,
                expected_version=_version(form),
            )
            notice, tab = "changed", "matched"
        else:
            match_actions.match_to(
                page.runtime,
                user.account_id,
                integration_id,
                customer_id,
                organization_id,
                directory=ItDocsDirectory(page.runtime),
                actor=user.email,
                expected_version=_version(form),
            )
            notice, tab = "matched", "unmatched"
    except (ConcurrentChange, InvalidInput) as problem:
        fresh = _record(user, integration_id, customer_id)
        return _render_match_to(
            page,
            user,
            fresh,
            form.get("q"),
            error=problem.message,
            status=409 if isinstance(problem, ConcurrentChange) else 400,
        )
    return page.redirect(_screen_url(integration_id, tab=tab, notice=notice, customer=customer_id))


def _render_match_to(
    page: Page,
    user: ItDocsUser,
    record: CustomerMatch,
    search: str | None,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    typed = record.customer_name if search is None else search
    found = match_actions.search_organizations(
        ItDocsDirectory(page.runtime), user.account_id, typed
    )
    current = None
    if record.organization_id:
        current = organizations.get(page.runtime, user.account_id, record.organization_id).name
    return page.render(
        "itdocs/matching_match_to.html",
        status=status,
        record=record,
        search=typed,
        found=found,
        current=current,
        error=error,
    )


def _customer_name(user: ItDocsUser, integration_id: str, customer_id: str) -> str:
    """The name of the customer a notice is about ("" when unknown or not the user's)."""
    if not customer_id:
        return ""
    try:
        return _record(user, integration_id, customer_id).customer_name
    except NotFound:
        return ""


def _record(user: ItDocsUser, integration_id: str, customer_id: str) -> CustomerMatch:
    record = store.get_match(integration_id, customer_id)
    if record.account_id != user.account_id or record.absent_since is not None:
        raise NotFound("No such customer in this integration.")
    return record


# --------------------------------------------------------------------------------------------------
# Create Organization: list similar names first, then create on confirmation


@page_route(matching_routes, CUSTOMER + "/create-organization", SCOPE, methods=["GET", "POST"])
def create_organization(page: Page, integration_id: str, customer_id: str) -> Response:
    user = _open(page, integration_id, acting=True)
    record = _record(user, integration_id, customer_id)
    if page.request.method == "GET":
        name = page.query().get("name") or record.customer_name
        return _render_create(page, user, record, name)
    form = page.form()
    name = form.get("name", "")
    if " ".join(name.split()) != form.get("checked_name"):
        # Similar names were listed for another name (or none): list them for this one first.
        return _render_create(page, user, record, name)
    try:
        match_actions.create_organization(
            page.runtime,
            user.account_id,
            integration_id,
            customer_id,
            directory=ItDocsDirectory(page.runtime),
            name=name,
            actor=user.email,
            expected_version=_version(form),
        )
    except (AlreadyExists, ConcurrentChange, InvalidInput) as problem:
        fresh = _record(user, integration_id, customer_id)
        status = 400 if isinstance(problem, InvalidInput) else 409
        return _render_create(page, user, fresh, name, error=problem.message, status=status)
    return page.redirect(
        _screen_url(integration_id, tab="matched", notice="created", customer=customer_id)
    )


def _render_create(
    page: Page,
    user: ItDocsUser,
    record: CustomerMatch,
    name: str,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    try:
        check = match_actions.creation_check(ItDocsDirectory(page.runtime), user.account_id, name)
    except InvalidInput as problem:
        check, error, status = None, error or problem.message, 400
    return page.render(
        "itdocs/matching_create.html",
        status=status,
        record=record,
        new_name=name,
        check=check,
        error=error,
    )
