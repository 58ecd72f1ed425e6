"""Account > Integrations, `/itdocs/account/integrations/...`: connect SaaS Protection, its options,
its keys, manual sync, logs, delete (marked "Being deleted…" at once, removed on the sync queue).

Manual sync, Connect and Change API keys answer at once: the sync and the key check run on the sync
queue, and the pages show "Syncing..." (with the progress) or "Checking keys..." until they end
(static/sync-status.js updates the status in place; a reload shows it too). It follows a deletion
the same way: "Being deleted…" with when the removal starts, then "Deleted" in place on the list,
or back to the list from the integration's own page.

Every page goes through `chalicelib.sync.integrations`, which lets only Administrators and Managers
through; the two forms that show no data yet ask IT Docs' policy the same question.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput, TooManyRequests, UpstreamError
from chalicelib.itdocs import policy
from chalicelib.itdocs.acting import SyncUser
from chalicelib.itdocs.routes.pages import FLASHES, ITDOCS, signed_in_for_sync
from chalicelib.sync import integration_deletion, integrations
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
INTEGRATIONS = "/itdocs/account/integrations"
NEW = f"{INTEGRATIONS}/new/saas-protection"
STATUS_CLASSES = {"OK": "status-ok", "Error": "status-error", "Queued": "status-warn",
                  "Syncing...": "status-warn", "Checking keys...": "status-warn",
                  "Being deleted…": "status-warn"}


def status_class(status: str) -> str:
    """The CSS class of a status as the pages show it (static/sync-status.js has the same)."""
    return STATUS_CLASSES.get(status, "")


def _empty_form(page: Page) -> None:
    """A form with nothing to show yet: refused to whoever may not manage integrations."""
    policy.require(signed_in(page, ITDOCS), "integration.manage")


def _list_page(page: Page, user: SyncUser, *, error: str | None = None,
               status: int = 200) -> Response:
    found = integrations.list_for_account(page.runtime, user)
    return page.render("itdocs/integrations.html", status=status, integrations=found,
                       error=error, now=page.runtime.clock.now(),
                       status_class=status_class,
                       flash=flash.message(FLASHES, page.query()))


def _connect_form(page: Page, *, action: str, heading: str, public_key: str = "",
                  error: str | None = None, status: int = 200) -> Response:
    return page.render("itdocs/integration_connect.html", status=status, action=action,
                       heading=heading, public_key=public_key, error=error)


def _keys_error(page: Page, action: str, heading: str, public_key: str,
                error: InvalidInput | UpstreamError) -> Response:
    """The keys form again, saying why the keys were not taken (400 refused, 502 unreachable)."""
    return _connect_form(page, action=action, heading=heading, public_key=public_key,
                         error=error.message,
                         status=400 if isinstance(error, InvalidInput) else 502)


@page_route(routes, "/account/integrations", "itdocs")
def integrations_page(page: Page) -> Response:
    return _list_page(page, signed_in_for_sync(page))


@page_route(routes, "/account/integrations/new", "itdocs")
def integration_new(page: Page) -> Response:
    _empty_form(page)
    return page.render("itdocs/integration_new.html")


@page_route(routes, "/account/integrations/new/saas-protection", "itdocs")
def connect_form(page: Page) -> Response:
    _empty_form(page)
    return _connect_form(page, action=NEW, heading="Connect SaaS Protection")


@page_route(routes, "/account/integrations/new/saas-protection", "itdocs", methods=["POST"])
def connect_submit(page: Page) -> Response:
    form = page.form()
    user = signed_in_for_sync(page)
    public_key = form.get("public_key", "").strip()
    try:
        created = integrations.connect(page.runtime, user, public_key=public_key,
                                       secret_key=form.get("secret_key", "").strip())
    except (InvalidInput, UpstreamError) as error:
        return _keys_error(page, NEW, "Connect SaaS Protection", public_key, error)
    return page.redirect(f"{INTEGRATIONS}/{created.integration_id}/edit?connected=1")


def _options_page(page: Page, integration: integrations.Integration,
                  error: str | None = None, status: int = 200) -> Response:
    return page.render("itdocs/integration_options.html", status=status, integration=integration,
                       connected=page.query().get("connected") == "1", error=error,
                       status_class=status_class,
                       gone_url=flash.location(INTEGRATIONS, "integration_deleted"))


@page_route(routes, "/account/integrations/{integration_id}/edit", "itdocs")
def integration_edit(page: Page, integration_id: str) -> Response:
    user = signed_in_for_sync(page, integration_id)
    return _options_page(page, integrations.get(page.runtime, user, integration_id))


@page_route(routes, "/account/integrations/{integration_id}/edit", "itdocs", methods=["POST"])
def integration_save(page: Page, integration_id: str) -> Response:
    form = page.form()
    user = signed_in_for_sync(page, integration_id)
    integrations.save_options(page.runtime, user, integration_id,
                              sync_enabled=form.get("sync_enabled") == "on",
                              matching=form.get("matching", ""))
    return page.redirect(flash.location(INTEGRATIONS, "integration_saved"))


@page_route(routes, "/account/integrations/{integration_id}/keys", "itdocs")
def keys_form(page: Page, integration_id: str) -> Response:
    user = signed_in_for_sync(page, integration_id)
    integration = integrations.get(page.runtime, user, integration_id)
    return _connect_form(page, action=f"{INTEGRATIONS}/{integration_id}/keys",
                         heading="Change SaaS Protection API keys",
                         public_key=integration.public_key)


@page_route(routes, "/account/integrations/{integration_id}/keys", "itdocs", methods=["POST"])
def keys_submit(page: Page, integration_id: str) -> Response:
    form = page.form()
    user = signed_in_for_sync(page, integration_id)
    public_key = form.get("public_key", "").strip()
    try:
        integrations.change_keys(page.runtime, user, integration_id, public_key=public_key,
                                 secret_key=form.get("secret_key", "").strip())
    except (InvalidInput, UpstreamError) as error:
        return _keys_error(page, f"{INTEGRATIONS}/{integration_id}/keys",
                           "Change SaaS Protection API keys", public_key, error)
    return page.redirect(flash.location(INTEGRATIONS, "keys_saved"))


@page_route(routes, "/account/integrations/{integration_id}/sync", "itdocs", methods=["POST"])
def manual_sync(page: Page, integration_id: str) -> Response:
    page.form()
    user = signed_in_for_sync(page, integration_id)
    try:
        integrations.start_manual_sync(page.runtime, user, integration_id)
    except TooManyRequests as error:
        reply = _list_page(page, user, error=error.message, status=429)
        reply.headers["Retry-After"] = str(error.retry_after)
        return reply
    except InvalidInput as error:
        return _list_page(page, user, error=error.message, status=400)
    return page.redirect(flash.location(INTEGRATIONS, "sync_started"))


@page_route(routes, "/account/integrations/{integration_id}/logs", "itdocs")
def sync_logs(page: Page, integration_id: str) -> Response:
    user = signed_in_for_sync(page, integration_id)
    integration = integrations.get(page.runtime, user, integration_id)
    entries = integrations.sync_logs(page.runtime, user, integration_id)
    return page.render("itdocs/integration_logs.html", integration=integration, logs=entries)


@page_route(routes, "/account/integrations/{integration_id}/delete", "itdocs")
def delete_confirm(page: Page, integration_id: str) -> Response:
    user = signed_in_for_sync(page, integration_id)
    integration = integrations.get(page.runtime, user, integration_id)
    return page.render("itdocs/integration_delete.html", integration=integration)


@page_route(routes, "/account/integrations/{integration_id}/delete", "itdocs", methods=["POST"])
def delete_submit(page: Page, integration_id: str) -> Response:
    page.form()
    user = signed_in_for_sync(page, integration_id)
    integration_deletion.request(page.runtime, user, integrations.reached(user, integration_id))
    return page.redirect(flash.location(INTEGRATIONS, "integration_deleting"))
