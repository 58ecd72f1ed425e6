"""IT Docs' matching screen, `/itdocs/integrations/{integration_id}/matching/...` (Integrations >
Actions > Matching), and its actions (a matched row's are under its own Actions menu: Change Match,
Unmatch). Products show by the names the SaaS Protection card uses.

Any user who may view integrations sees the screen; only Administrators and Managers
(`matching.manage`) see its buttons, and the sync's services refuse anyone else. The integration
must belong to the user's account. Every form carries the version of the customer it was shown
for, so a change someone else made in the meantime is reported instead of overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from chalice.app import Blueprint, Response

from chalicelib.errors import AlreadyExists, ConcurrentChange, InvalidInput, NotFound
from chalicelib.itdocs.acting import SyncUser
from chalicelib.itdocs.policy import can
from chalicelib.itdocs.routes.pages import signed_in_for_sync
from chalicelib.matching.suggestions import SEARCH_FLOOR, SUGGESTION_THRESHOLD
from chalicelib.sync import match_actions, matching_screen
from chalicelib.sync.matching_screen import MATCHED, CustomerMatch
from chalicelib.sync.vocabulary import product_name
from chalicelib.web import http, params
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route

# match_actions.accept_suggested / ignore / unignore / unmatch: one customer, the version shown
OneClick = Callable[..., CustomerMatch]

routes = Blueprint(__name__)

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


def _open(page: Page, integration_id: str, customer_id: str = "",
          selected: tuple[str, ...] = ()) -> SyncUser:
    """The signed-in user, once the sync has let them change this integration's matches (the
    integration and the customer the URL names, or those selected, read with the session)."""
    user = signed_in_for_sync(page, integration_id, customer_id, selected)
    matching_screen.require_access(page.runtime, user, integration_id, to_change=True)
    return user


def _screen_url(integration_id: str, **query: str) -> str:
    path = f"/itdocs/integrations/{integration_id}/matching"
    wanted = {key: value for key, value in query.items() if value}
    return f"{path}?{urlencode(wanted)}" if wanted else path


def _version(form: dict[str, str]) -> int | None:
    return params.ascii_int(form.get("version", ""))


def _chosen_organization(form: dict[str, str]) -> str:
    """The organization picked on the Match To form; none, or a malformed id, is its error."""
    chosen = form.get("organization_id", "")
    if not params.ORGANIZATION_ID.accepts(chosen):
        raise InvalidInput("Choose the organization to match the customer to.",
                           field="organization_id")
    return chosen


# --------------------------------------------------------------------------------------------------
# The screen


@page_route(routes, BASE, SCOPE)
def screen_page(page: Page, integration_id: str) -> Response:
    query = page.query()
    return _render_screen(
        page,
        signed_in_for_sync(page, integration_id),
        integration_id,
        tab=query.get("tab", ""),
        search=query.get("q", ""),
        notice=query.get("notice", ""),
        customer_id=params.optional(params.CUSTOMER_ID, query.get("customer", "")),
    )


def _render_screen(
    page: Page,
    user: SyncUser,
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
    screen = matching_screen.screen(rt, user, integration_id, tab=tab, query=search)
    flash = ""
    if notice in NOTICES:
        about = screen.customer_name(customer_id)
        flash = f"{about + ': ' if about else ''}{NOTICES[notice]} {QUEUED}"
    return page.render(
        "itdocs/matching.html",
        status=status,
        integration_id=integration_id,
        screen=screen,
        organization_names=screen.organization_names,
        can_act=can(user.user, "matching.manage"),
        threshold=SUGGESTION_THRESHOLD,
        product_name=product_name,
        trail=screen.trail,
        flash=flash,
        error=error,
    )


def _one_click(page: Page, integration_id: str, customer_id: str, action: OneClick, tab: str,
               done: str) -> Response:
    """A button on one customer's row (accept, ignore, un-ignore, unmatch)."""

    def change(user: SyncUser, form: dict[str, str]) -> str:
        action(page.runtime, user, integration_id, customer_id, expected_version=_version(form))
        return done

    return _act(page, integration_id, tab, change, customer_id)


def _act(
    page: Page,
    integration_id: str,
    tab: str,
    change: Callable[[SyncUser, dict[str, str]], str],
    customer_id: str = "",
    selected: tuple[str, ...] = (),
) -> Response:
    """Run one action for the signed-in user; back to the screen with a notice, or the error."""
    user = _open(page, integration_id, customer_id, selected)
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


@page_route(routes, BASE + "/accept-selected", SCOPE, methods=["POST"])
def accept_selected(page: Page, integration_id: str) -> Response:
    posted = http.form_lists(page.request).get("customer_id", [])
    selected = [customer_id for customer_id in posted if params.CUSTOMER_ID.accepts(customer_id)]

    def change(user: SyncUser, form: dict[str, str]) -> str:
        if not selected:
            raise InvalidInput("Select the customers whose suggested match to accept.")
        outcome = match_actions.accept_selected(page.runtime, user, integration_id, selected)
        if not outcome.accepted:
            raise InvalidInput("None of the selected customers has a suggestion to accept now.")
        return "bulk"

    return _act(page, integration_id, "unmatched", change,
                selected=tuple(dict.fromkeys(selected)))


@page_route(routes, CUSTOMER + "/accept", SCOPE, methods=["POST"])
def accept_suggested(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.accept_suggested,
                      "unmatched", "accepted")


@page_route(routes, CUSTOMER + "/ignore", SCOPE, methods=["POST"])
def ignore(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.ignore, "unmatched",
                      "ignored")


@page_route(routes, CUSTOMER + "/unignore", SCOPE, methods=["POST"])
def unignore(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.unignore, "ignored",
                      "unignored")


@page_route(routes, CUSTOMER + "/unmatch", SCOPE, methods=["POST"])
def unmatch(page: Page, integration_id: str, customer_id: str) -> Response:
    return _one_click(page, integration_id, customer_id, match_actions.unmatch, "matched",
                      "unmatched")


# --------------------------------------------------------------------------------------------------
# Match To / Change Match: search the organizations, pick one


@page_route(routes, CUSTOMER + "/match-to", SCOPE, methods=["GET", "POST"])
def match_to(page: Page, integration_id: str, customer_id: str) -> Response:
    user = _open(page, integration_id, customer_id)
    record = matching_screen.customer(page.runtime, user, integration_id, customer_id)
    if page.request.method == "GET":
        return _render_match_to(page, user, record, page.query().get("q"))
    form = page.form()
    changing = record.status == MATCHED
    try:
        if changing:
            match_actions.change_match(page.runtime, user, integration_id, customer_id,
                                       _chosen_organization(form), expected_version=_version(form))
        else:
            match_actions.match_to(page.runtime, user, integration_id, customer_id,
                                   _chosen_organization(form), expected_version=_version(form),
                                   organization_name=form.get("organization_name"))
    except (ConcurrentChange, InvalidInput, NotFound) as problem:
        # NotFound: the organization picked was deleted (or is being deleted) meanwhile.
        fresh = matching_screen.customer(page.runtime, user, integration_id, customer_id,
                                         fresh=True)
        return _render_match_to(
            page,
            user,
            fresh,
            form.get("q"),
            error=problem.message,
            status=400 if isinstance(problem, InvalidInput) else 409,
        )
    notice, tab = ("changed", "matched") if changing else ("matched", "unmatched")
    return page.redirect(_screen_url(integration_id, tab=tab, notice=notice, customer=customer_id))


def _render_match_to(
    page: Page,
    user: SyncUser,
    record: CustomerMatch,
    search: str | None,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    typed = search.strip() if search and search.strip() else record.customer_name
    found, current = matching_screen.match_to_choices(user, typed, record.organization_id)
    return page.render(
        "itdocs/matching_match_to.html",
        status=status,
        record=record,
        search=typed,
        found=found,
        current=current,
        product_name=product_name,
        search_floor=SEARCH_FLOOR,
        error=error,
    )


# --------------------------------------------------------------------------------------------------
# Create Organization: list similar names first, then create on confirmation


@page_route(routes, CUSTOMER + "/create-organization", SCOPE, methods=["GET", "POST"])
def create_organization(page: Page, integration_id: str, customer_id: str) -> Response:
    user = _open(page, integration_id, customer_id)
    record = matching_screen.customer(page.runtime, user, integration_id, customer_id)
    if page.request.method == "GET":
        name = page.query().get("name") or record.customer_name
        return _render_create(page, user, record, name)
    form = page.form()
    name = form.get("name", "")
    if " ".join(name.split()) != form.get("checked_name"):
        # Similar names were listed for another name (or none): list them for this one first.
        return _render_create(page, user, record, name)
    try:
        match_actions.create_organization(page.runtime, user, integration_id, customer_id,
                                          name=name, expected_version=_version(form))
    except (AlreadyExists, ConcurrentChange, InvalidInput) as problem:
        fresh = matching_screen.customer(page.runtime, user, integration_id, customer_id,
                                         fresh=True)
        status = 400 if isinstance(problem, InvalidInput) else 409
        return _render_create(page, user, fresh, name, error=problem.message, status=status)
    return page.redirect(
        _screen_url(integration_id, tab="matched", notice="created", customer=customer_id)
    )


def _render_create(
    page: Page,
    user: SyncUser,
    record: CustomerMatch,
    name: str,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    try:
        check = match_actions.creation_check(user, name)
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
