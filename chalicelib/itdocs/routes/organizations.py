"""IT Docs organizations, `/itdocs/organizations/...`: list, home with the SaaS Protection card,
create, edit, delete (Administrators, after a confirmation page); and their contacts (view with
their protected services, create, edit). While an organization is being deleted, the list and its
page poll its status (static/sync-status.js) and say when it is gone without a reload."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.errors import AlreadyExists, InvalidInput, NotFound
from chalicelib.itdocs import acting, contacts, organization_deletion, organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import Contact, ContactDetails
from chalicelib.itdocs.organizations import Organization
from chalicelib.itdocs.policy import can
from chalicelib.itdocs.routes.pages import FLASHES, ITDOCS, signed_in_at
from chalicelib.sync import card
from chalicelib.web import flash
from chalicelib.web.page import Page
from chalicelib.web.routing import page_route
from chalicelib.web.signin import signed_in

routes = Blueprint(__name__)
BASE = "/itdocs/organizations"


# -- organizations ---------------------------------------------------------------------------------
def _list_page(page: Page, actor: ItDocsUser, *, status: int = 200, error: str | None = None,
               name: str = "") -> Response:
    query = page.query().get("q", "").strip()
    found = organizations.list_all(page.runtime, actor)
    if query:
        found = [o for o in found if query.casefold() in o.name.casefold()]
    return page.render("itdocs/organizations.html", status=status, organizations=found,
                       query=query, can_create=can(actor, "organization.create"), error=error,
                       typed_name=name, flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/organizations", "itdocs")
def organizations_page(page: Page) -> Response:
    return _list_page(page, signed_in(page, ITDOCS))


@page_route(routes, "/organizations", "itdocs", methods=["POST"])
def organizations_create(page: Page) -> Response:
    form = page.form()
    actor = signed_in(page, ITDOCS)
    try:
        created = organizations.create(page.runtime, actor, form.get("name", ""))
    except (InvalidInput, AlreadyExists) as error:
        return _list_page(page, actor, status=400, error=error.message, name=form.get("name", ""))
    return page.redirect(flash.location(f"{BASE}/{created.organization_id}", "created",
                                        name=created.name))


@page_route(routes, "/organizations/{organization_id}", "itdocs")
def organization_home(page: Page, organization_id: str) -> Response:
    visit = signed_in_at(page, organization_id)
    actor, organization = visit.user, visit.organization
    people = contacts.in_organization(page.runtime, actor, organization_id)
    saas = card.saas_card(page.runtime, acting.for_page(page.runtime, actor), organization_id,
                          organization.matched)
    return page.render("itdocs/organization.html", organization=organization, contacts=people,
                       saas=saas, can_edit=can(actor, "organization.edit"),
                       can_add_contact=can(actor, "contact.create"),
                       can_delete=can(actor, "organization.delete"),
                       flash=flash.message(FLASHES, page.query()),
                       gone_url=flash.location(BASE, "organization_deleted",
                                               name=organization.name))


def _edit_page(page: Page, organization: Organization, name: str, error: str | None = None,
               status: int = 200) -> Response:
    return page.render("itdocs/organization_edit.html", status=status, organization=organization,
                       typed_name=name, error=error)


@page_route(routes, "/organizations/{organization_id}/edit", "itdocs")
def organization_edit(page: Page, organization_id: str) -> Response:
    organization = signed_in_at(page, organization_id).organization
    return _edit_page(page, organization, organization.name)


@page_route(routes, "/organizations/{organization_id}/edit", "itdocs", methods=["POST"])
def organization_save(page: Page, organization_id: str) -> Response:
    form = page.form()
    visit = signed_in_at(page, organization_id)
    actor, organization = visit.user, visit.organization
    try:
        renamed = organizations.rename(page.runtime, actor, organization_id, form.get("name", ""),
                                       organization)
    except (InvalidInput, AlreadyExists) as error:
        return _edit_page(page, organization, form.get("name", ""), error.message, 400)
    return page.redirect(flash.location(f"{BASE}/{organization_id}", "saved", name=renamed.name))


@page_route(routes, "/organizations/{organization_id}/delete", "itdocs")
def organization_delete_confirm(page: Page, organization_id: str) -> Response:
    visit = signed_in_at(page, organization_id)
    found = organization_deletion.preview(page.runtime, visit.user, organization_id,
                                          visit.organization)
    return page.render("itdocs/organization_delete.html", preview=found)


@page_route(routes, "/organizations/{organization_id}/delete", "itdocs", methods=["POST"])
def organization_delete(page: Page, organization_id: str) -> Response:
    page.form()
    visit = signed_in_at(page, organization_id)
    marked = organization_deletion.request(page.runtime, visit.user, organization_id,
                                           visit.organization)
    return page.redirect(flash.location(BASE, "deleting", name=marked.name))


# -- contacts --------------------------------------------------------------------------------------
def _details(form: dict[str, str]) -> ContactDetails:
    return ContactDetails(name=form.get("name", ""),
                          emails=contacts.parse_emails(form.get("emails", "")),
                          title=form.get("title", ""), phone=form.get("phone", ""))


def _contact_form(page: Page, organization: Organization, *, heading: str, action: str,
                  cancel: str, form: dict[str, str], error: str | None = None,
                  status: int = 200) -> Response:
    values = {k: form.get(k, "") for k in ("name", "title", "emails", "phone")}
    return page.render("itdocs/contact_form.html", status=status, organization=organization,
                       heading=heading, action=action, cancel=cancel, form=values, error=error)


@page_route(routes, "/organizations/{organization_id}/contacts/new", "itdocs")
def contact_new(page: Page, organization_id: str) -> Response:
    organization = signed_in_at(page, organization_id).organization
    return _contact_form(page, organization, heading="New contact",
                         action=f"{BASE}/{organization_id}/contacts",
                         cancel=f"{BASE}/{organization_id}", form={})


@page_route(routes, "/organizations/{organization_id}/contacts", "itdocs", methods=["POST"])
def contact_create(page: Page, organization_id: str) -> Response:
    form = page.form()
    visit = signed_in_at(page, organization_id)
    actor, organization = visit.user, visit.organization
    try:
        created = contacts.create(page.runtime, actor, organization_id, _details(form))
    except InvalidInput as error:
        return _contact_form(page, organization, heading="New contact",
                             action=f"{BASE}/{organization_id}/contacts",
                             cancel=f"{BASE}/{organization_id}", form=form, error=error.message,
                             status=400)
    return page.redirect(flash.location(f"{BASE}/{organization_id}/contacts/{created.contact_id}",
                                        "created", name=created.name))


def _contact_visit(page: Page, organization_id: str,
                   contact_id: str) -> tuple[ItDocsUser, Organization, Contact]:
    """The signed-in user, the organization and its contact the page shows (one read)."""
    visit = signed_in_at(page, organization_id, contact_id)
    if visit.contact is None:  # asked for, so never: NotFound was raised
        raise NotFound("No such contact.")
    return visit.user, visit.organization, visit.contact


@page_route(routes, "/organizations/{organization_id}/contacts/{contact_id}", "itdocs")
def contact_page(page: Page, organization_id: str, contact_id: str) -> Response:
    actor, organization, person = _contact_visit(page, organization_id, contact_id)
    protection = card.contact_protection(page.runtime, acting.for_page(page.runtime, actor),
                                         organization_id, person.emails, organization.matched)
    return page.render("itdocs/contact.html", organization=organization, contact=person,
                       protection=protection, can_edit=can(actor, "contact.edit"),
                       flash=flash.message(FLASHES, page.query()))


@page_route(routes, "/organizations/{organization_id}/contacts/{contact_id}/edit", "itdocs")
def contact_edit(page: Page, organization_id: str, contact_id: str) -> Response:
    _, organization, person = _contact_visit(page, organization_id, contact_id)
    path = f"{BASE}/{organization_id}/contacts/{contact_id}"
    form = {"name": person.name, "title": person.title, "phone": person.phone,
            "emails": "\n".join(person.emails)}
    return _contact_form(page, organization, heading=f"Edit {person.name}",
                         action=f"{path}/edit", cancel=path, form=form)


@page_route(routes, "/organizations/{organization_id}/contacts/{contact_id}/edit", "itdocs",
            methods=["POST"])
def contact_save(page: Page, organization_id: str, contact_id: str) -> Response:
    form = page.form()
    actor, organization, _ = _contact_visit(page, organization_id, contact_id)
    path = f"{BASE}/{organization_id}/contacts/{contact_id}"
    try:
        saved = contacts.update(page.runtime, actor, organization_id, contact_id, _details(form))
    except InvalidInput as error:
        return _contact_form(page, organization, heading="Edit contact", action=f"{path}/edit",
                             cancel=path, form=form, error=error.message, status=400)
    return page.redirect(flash.location(path, "saved", name=saved.name))
