"""Who a sync service acts for: a protocol the sync defines and IT Docs implements.

Every sync service that changes or reveals an account's data on behalf of an IT Docs user (the
integration pages, manual sync, the matching screen and its actions, the card) takes an
`ActingUser` and asks `require(action)` first: IT Docs answers with its own policy, and the sync
never imports IT Docs. The user also lists, looks up and creates their account's organizations,
so IT Docs' checks apply to those too. The scheduled tick and the queue worker act for no one and
take none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.match_decisions import CustomerMatch, DecisionFor
from chalicelib.sync.directory import NamedOrganization

# The actions the sync asks about (named as IT Docs' policy names them).
VIEW_INTEGRATIONS = "integration.view"
MANAGE_INTEGRATIONS = "integration.manage"
MANAGE_MATCHING = "matching.manage"
VIEW_ORGANIZATIONS = "organization.view"
VIEW_CONTACTS = "contact.view"


class ActingUser(Protocol):
    """An IT Docs user as the sync sees them: their account, their name, what they may do."""

    @property
    def account_id(self) -> str:
        """The account whose integrations, customers and organizations the user reaches."""
        ...

    @property
    def name(self) -> str:
        """Who acted, as the audit trail and the logs record it."""
        ...

    def require(self, action: str) -> None:
        """Return when the user may do `action`; raise Forbidden otherwise."""
        ...

    def integration_read(self, integration_id: str) -> IntegrationRecord | None:
        """The integration as read with the user's session in this request (None when it was
        not), so a page does not read it twice; the sync still checks it is the account's."""
        ...

    def customer_read(self, integration_id: str, customer_id: str) -> CustomerMatch | None:
        """A customer's match record as read with the user's session in this request (None
        when it was not); the sync still checks it is the account's and current."""
        ...

    def customer_asked(self, integration_id: str, customer_id: str) -> bool:
        """Whether the customer was asked for with the user's session (then `customer_read`
        None means there is no such customer)."""
        ...

    def organizations(self) -> Sequence[NamedOrganization]:
        """Every organization of the user's account."""
        ...

    def organization(self, organization_id: str) -> NamedOrganization:
        """One organization of the user's account; NotFound for an unknown id or another
        account's."""
        ...

    def create_organization(
        self, name: str, decision: DecisionFor | None = None
    ) -> NamedOrganization:
        """A new organization in the user's account; AlreadyExists when one has exactly that
        name, InvalidInput for a blank or too long name, Forbidden when the user may not.
        `decision` (given the new id and name) is written in the same transaction: when its
        customer changed first, ConcurrentChange and no organization."""
        ...
