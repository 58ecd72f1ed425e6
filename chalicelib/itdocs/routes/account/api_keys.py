"""Account > API Keys, `/itdocs/account/api-keys/...`: create (shown once) and revoke
(Administrators)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import InvalidInput
from chalicelib.itdocs import api_keys
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.routes.pages import FLASHES, ITDOCS
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)


def _keys_page(page: Page, actor: ItDocsUser, *, created: str | None = None,
               error: str | None = None, status: int = 200) -> Response:
    return page.render("itdocs/api_keys.html", status=status, keys=api_keys.keys_of(actor),
                       created=created, error=error, flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/account/api-keys", "itdocs")
def api_keys_page(page: Page) -> Response:
    return _keys_page(page, signed_in(page, ITDOCS))


@page_route(routes, "/account/api-keys", "itdocs", methods=["POST"])
def api_keys_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, ITDOCS)
    try:
        created = api_keys.create(page.runtime, actor, form.get("label", ""))
    except InvalidInput as error:
        return _keys_page(page, actor, error=error.message, status=400)
    return _keys_page(page, actor, created=created.presented)


@page_route(routes, "/account/api-keys/{key_id}/revoke", "itdocs", methods=["POST"])
def api_keys_revoke(page: Page, key_id: str) -> Response:
    page.form()
    api_keys.revoke(page.runtime, signed_in(page, ITDOCS), key_id)
    return page.redirect(flash.location("/itdocs/account/api-keys", "key_revoked"))
