"""IT Docs users as the sync acts for them (`chalicelib.sync.acting.ActingUser`).

IT Docs' pages and its JSON API hand one to every sync service that changes or reveals an
account's data. The sync asks `require(action)` first, which IT Docs answers with its policy, and
lists, looks up or creates organizations through it, so IT Docs' own checks apply there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.errors import NotFound
from chalicelib.itdocs import organizations, policy
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.organizations import Organization
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.match_decisions import CustomerMatch, DecisionFor

# The JSON API's one sync action says what it refuses in its own words.
API_REFUSALS = {**policy.REFUSALS,
                "integration.manage": "Only Administrators and Managers may start a sync."}


@dataclass(frozen=True)
class SyncUser:
    """One IT Docs user, the name the sync records for them, and how a refusal is worded."""

    rt: Runtime
    user: ItDocsUser
    name: str
    refusals: Mapping[str, str]
    read: Mapping[str, IntegrationRecord] = field(default_factory=dict)
    """Integrations read with the session in this request, by id."""
    customers: Mapping[tuple[str, str], CustomerMatch] = field(default_factory=dict)
    """Customers' match records read with the session, by (integration id, customer id)."""
    asked: frozenset[tuple[str, str]] = frozenset()
    """Every customer asked for with the session, found or not."""

    @property
    def account_id(self) -> str:
        return self.user.account_id

    def require(self, action: str) -> None:
        """Forbidden unless IT Docs' policy lets the user do `action`."""
        policy.require(self.user, action, self.refusals)

    def integration_read(self, integration_id: str) -> IntegrationRecord | None:
        return self.read.get(integration_id)

    def customer_read(self, integration_id: str, customer_id: str) -> CustomerMatch | None:
        return self.customers.get((integration_id, customer_id))

    def customer_asked(self, integration_id: str, customer_id: str) -> bool:
        return (integration_id, customer_id) in self.asked

    def organizations(self) -> list[Organization]:
        """The organizations a customer may be matched to: none being deleted."""
        return [o for o in organizations.list_all(self.rt, self.user) if not o.deleting]

    def organization(self, organization_id: str) -> Organization:
        """One organization a customer may be matched to; NotFound while it is being deleted."""
        found = organizations.get(self.rt, self.user, organization_id)
        if found.deleting:
            raise NotFound(f"{found.name} is being deleted.")
        return found

    def create_organization(self, name: str, decision: DecisionFor | None = None) -> Organization:
        return organizations.create(self.rt, self.user, name, decision)


def for_page(rt: Runtime, user: ItDocsUser, integration: IntegrationRecord | None = None,
             *customers: CustomerMatch, asked: frozenset[tuple[str, str]] = frozenset(),
             ) -> SyncUser:
    """The signed-in user of a page, recorded by their email (with the integration and
    customers the page read with the session, if any; `asked`: every customer it asked for)."""
    read = {integration.integration_id: integration} if integration is not None else {}
    known = {(c.integration_id, c.customer_id): c for c in customers}
    return SyncUser(rt, user, user.email, policy.REFUSALS, read, known, asked)


def for_api_key(rt: Runtime, user: ItDocsUser) -> SyncUser:
    """The user an API key acts for, recorded as `api:<user id>`."""
    return SyncUser(rt, user, f"api:{user.user_id}", API_REFUSALS)
