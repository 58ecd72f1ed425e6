"""Organizations: the partner's end clients, which SaaS Protection customers link to."""

from __future__ import annotations

from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.portal.policy import can
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import id_sequences
from chalicelib.storage.portal import organizations as organization_store
from chalicelib.storage.portal.organizations import Organization
from chalicelib.storage.portal.users import PortalUser

ID_SEQUENCE = "organization_id"


def create_organization(rt: Runtime, actor: PortalUser, name: str) -> Organization:
    """A new organization of the actor's company, with an integer id from the sequence."""
    if not can(actor, "organization.create"):
        raise Forbidden()
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise InvalidInput("Enter an organization name (up to 120 characters).", field="name")
    (organization_id,) = id_sequences.allocate_ids(ID_SEQUENCE, 1)
    organization = Organization(actor.company_id, organization_id, name, rt.clock.now())
    organization_store.create_organization(organization)
    return organization


def organizations_for(actor: PortalUser) -> list[Organization]:
    """The actor's company's organizations, by name."""
    if not can(actor, "organization.view"):
        raise Forbidden()
    found = organization_store.organizations_of_company(actor.company_id)
    return sorted(found, key=lambda o: (o.name.casefold(), o.organization_id))
