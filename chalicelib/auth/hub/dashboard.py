"""My Modules, the hub's home page: the company, the modules the user may open, the insights."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth.hub import insights, modules, sessions
from chalicelib.auth.hub.insights import DashboardInsight
from chalicelib.auth.hub.policy import can
from chalicelib.errors import Forbidden
from chalicelib.storage.hub.companies import HubCompany
from chalicelib.storage.hub.users import HubUser


@dataclass(frozen=True)
class Dashboard:
    """What My Modules shows: one company read serves the module list and the insights."""

    company: HubCompany
    modules: list[dict[str, str]]
    insights: list[DashboardInsight]


def dashboard(actor: HubUser) -> Dashboard:
    """The actor's My Modules: linked modules they were granted, their company's insights."""
    if not can(actor, "module.use"):
        raise Forbidden()
    company = sessions.company_of(actor)
    return Dashboard(company, modules.my_modules(actor, company),
                     insights.for_dashboard(actor, company.linked_modules))
