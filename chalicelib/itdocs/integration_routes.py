"""IT Docs Account > Integrations: connect SaaS Protection, its options, manual sync, logs, delete.

Only Administrators and Managers reach these pages; everything goes through chalicelib.sync.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.errors import Forbidden, InvalidInput, TooManyRequests, UpstreamError
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.pages import FLASHES, ITDOCS
from chalicelib.itdocs.policy import can
from chalicelib.sync import integrations
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

itdocs_integration_routes = Blueprint(__name__)
INTEGRATIONS = "/itdocs/account/integrations"
STATUS_CLASSES = {"OK": "status-ok", "Error": "status-error", "Queued": "status-warn",
                  "Syncing...": "status-warn"}


def _manager(page: Page) -> ItDocsUser:
    """The signed-in user, when they may manage integrations (Administrator, Manager)."""
    actor = signed_in(page, ITDOCS)
    if not can(actor, "integration.manage"):
        raise Forbidden("Only Administrators and Managers manage integrations.")
    return actor


# -- integrations ----------------------------------------------------------------------------------
def _list_page(page: Page, actor: ItDocsUser, *, error: str | None = None,
               status: int = 200) -> Response:
    found = integrations.list_for_account(page.runtime, actor.account_id)
    return page.render("itdocs/integrations.html", status=status, integrations=found,
                       error=error, now=page.runtime.clock.now(),
                       status_class=lambda s: STATUS_CLASSES.get(s, ""),
                       flash=flash.message(FLASHES, page.query()))


@page_route(itdocs_integration_routes, "/account/integrations", "itdocs")
def integrations_page(page: Page) -> Response:
    return _list_page(page, _manager(page))


@page_route(itdocs_integration_routes, "/account/integrations/new", "itdocs")
def integration_new(page: Page) -> Response:
    _manager(page)
    return page.render("itdocs/integration_new.html")


def _connect_form(page: Page, *, action: str, heading: str, public_key: str = "",
                  error: str | None = None, status: int = 200) -> Response:
    return page.render("itdocs/integration_connect.html", status=status, action=action,
                       heading=heading, public_key=public_key, error=error)


@page_route(itdocs_integration_routes, "/account/integrations/new/saas-protection", "itdocs")
def connect_form(page: Page) -> Response:
    _manager(page)
    return _connect_form(page, action=f"{INTEGRATIONS}/new/saas-protection",
                         heading="Connect SaaS Protection")


@page_route(itdocs_integration_routes, "/account/integrations/new/saas-protection", "itdocs",
            methods=["POST"])
def connect_submit(page: Page) -> Response:
    form = page.form()
    actor = _manager(page)
    public_key = form.get("public_key", "").strip()
    try:
        created = integrations.connect(page.runtime, actor.account_id, public_key=public_key,
                                       secret_key=form.get("secret_key", "").strip(),
                                       actor=actor.email)
    except (InvalidInput, UpstreamError) as error:
        return _connect_form(page, action=f"{INTEGRATIONS}/new/saas-protection",
                             heading="Connect SaaS Protection", public_key=public_key,
                             error=error.message,
                             status=400 if isinstance(error, InvalidInput) else 502)
    return page.redirect(f"{INTEGRATIONS}/{created.integration_id}/edit?connected=1")


def _options_page(page: Page, integration: Any, error: str | None = None,
                  status: int = 200) -> Response:
    return page.render("itdocs/integration_options.html", status=status, integration=integration,
                       connected=page.query().get("connected") == "1", error=error)


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/edit", "itdocs")
def integration_edit(page: Page, integration_id: str) -> Response:
    actor = _manager(page)
    return _options_page(page, integrations.get(page.runtime, actor.account_id, integration_id))


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/edit", "itdocs",
            methods=["POST"])
def integration_save(page: Page, integration_id: str) -> Response:
    form = page.form()
    actor = _manager(page)
    if form.get("matching") not in {"review", "accept"}:
        raise InvalidInput("Choose Leave for Review or Accept All Automatically.")
    integrations.update(page.runtime, actor.account_id, integration_id,
                        sync_enabled=form.get("sync_enabled") == "on",
                        accept_automatically=form.get("matching") == "accept",
                        actor=actor.email)
    return page.redirect(flash.location(INTEGRATIONS, "integration_saved"))


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/keys", "itdocs")
def keys_form(page: Page, integration_id: str) -> Response:
    actor = _manager(page)
    integration = integrations.get(page.runtime, actor.account_id, integration_id)
    return _connect_form(page, action=f"{INTEGRATIONS}/{integration_id}/keys",
                         heading="Change SaaS Protection API keys",
                         public_key=integration.public_key)


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/keys", "itdocs",
            methods=["POST"])
def keys_submit(page: Page, integration_id: str) -> Response:
    form = page.form()
    actor = _manager(page)
    integration = integrations.get(page.runtime, actor.account_id, integration_id)
    public_key = form.get("public_key", "").strip()
    try:
        integrations.update(page.runtime, actor.account_id, integration_id,
                            sync_enabled=integration.sync_enabled,
                            accept_automatically=integration.accept_automatically,
                            actor=actor.email, public_key=public_key,
                            secret_key=form.get("secret_key", "").strip())
    except (InvalidInput, UpstreamError) as error:
        return _connect_form(page, action=f"{INTEGRATIONS}/{integration_id}/keys",
                             heading="Change SaaS Protection API keys", public_key=public_key,
                             error=error.message,
                             status=400 if isinstance(error, InvalidInput) else 502)
    return page.redirect(flash.location(INTEGRATIONS, "keys_saved"))


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/sync", "itdocs",
            methods=["POST"])
def manual_sync(page: Page, integration_id: str) -> Response:
    page.form()
    actor = _manager(page)
    try:
        integrations.start_manual_sync(page.runtime, actor.account_id, integration_id,
                                       actor=actor.email)
    except TooManyRequests as error:
        reply = _list_page(page, actor, error=error.message, status=429)
        reply.headers["Retry-After"] = str(error.retry_after)
        return reply
    except InvalidInput as error:
        return _list_page(page, actor, error=error.message, status=400)
    return page.redirect(flash.location(INTEGRATIONS, "sync_started"))


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/logs", "itdocs")
def sync_logs(page: Page, integration_id: str) -> Response:
    actor = _manager(page)
    integration = integrations.get(page.runtime, actor.account_id, integration_id)
    entries = integrations.sync_logs(page.runtime, actor.account_id, integration_id)
    return page.render("itdocs/integration_logs.html", integration=integration, logs=entries)


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/delete", "itdocs")
def delete_confirm(page: Page, integration_id: str) -> Response:
    actor = _manager(page)
    integration = integrations.get(page.runtime, actor.account_id, integration_id)
    return page.render("itdocs/integration_delete.html", integration=integration)


@page_route(itdocs_integration_routes, "/account/integrations/{integration_id}/delete", "itdocs",
            methods=["POST"])
def delete_submit(page: Page, integration_id: str) -> Response:
    page.form()
    actor = _manager(page)
    integrations.delete(page.runtime, actor.account_id, integration_id, actor=actor.email)
    return page.redirect(flash.location(INTEGRATIONS, "integration_deleted"))
