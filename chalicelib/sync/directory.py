"""What the sync needs of IT Docs' organizations: a protocol it defines and IT Docs implements.

The sync never imports IT Docs. The scheduled handlers and IT Docs' pages hand an
`OrganizationDirectory` to the sync functions that read or create organizations (a sync run's
matching, the matching screen's actions), so the dependency runs one way: itdocs -> sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class NamedOrganization(Protocol):
    """What the sync reads of an IT Docs organization."""

    @property
    def organization_id(self) -> str: ...

    @property
    def name(self) -> str: ...


class OrganizationDirectory(Protocol):
    """An IT Docs account's organizations, as the sync lists, looks up and creates them."""

    def organizations(self, account_id: str) -> Sequence[NamedOrganization]:
        """Every organization of the account."""
        ...

    def organization(self, account_id: str, organization_id: str) -> NamedOrganization:
        """One organization of the account; NotFound for an unknown id or another account's."""
        ...

    def create_organization(self, account_id: str, name: str, *, actor: str) -> NamedOrganization:
        """A new organization; AlreadyExists when one has exactly that name, InvalidInput for a
        blank or too long name."""
        ...
