"""Partner companies (resellers / MSPs): each owns its users, organizations, customers and keys."""

from __future__ import annotations

from chalicelib.auth import names
from chalicelib.errors import Forbidden, InvalidInput
from chalicelib.portal import sessions
from chalicelib.portal.policy import can
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import companies as store
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.users import PortalUser

# Weighted REST API cost a partner may spend per hour (see rate_limit.py for the weights).
DEFAULT_HOURLY_BUDGET = 10_000


def create_company(rt: Runtime, name: str, *, company_id: str | None = None,
                   hourly_budget: int = DEFAULT_HOURLY_BUDGET) -> PortalCompany:
    """A new partner company; a name taken (case- and space-insensitively) raises AlreadyExists."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput("Enter a company name (up to 120 characters).", field="company")
    names.check_company_name(name)
    if hourly_budget < 1:
        raise InvalidInput("The hourly API budget must be positive.", field="budget")
    company = PortalCompany(company_id=company_id or rt.random.new_id(), name=name,
                            created_at=rt.clock.now(), api_hourly_budget=hourly_budget)
    store.create_company(company, names.name_key(name))
    return company


def company_named(name: str) -> PortalCompany | None:
    """The partner company with this name, if any (one consistent read, one GetItem)."""
    company_id = store.company_id_by_name_key(names.name_key(name))
    return store.get_company(company_id) if company_id else None


def company_of(actor: PortalUser) -> PortalCompany:
    """The signed-in user's own partner company (the home page's heading)."""
    if not can(actor, "portal.use"):
        raise Forbidden()
    return sessions.carried_company(actor) or store.get_company(actor.company_id)
