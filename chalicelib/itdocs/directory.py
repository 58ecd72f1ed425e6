"""IT Docs as the sync's organization directory (`chalicelib.sync.directory`).

`app.py` and IT Docs' pages pass an `ItDocsDirectory` to the sync, which matches backup customers
to these organizations and creates one from the matching screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.itdocs import organizations
from chalicelib.itdocs.organizations import Organization
from chalicelib.runtime import Runtime


@dataclass(frozen=True)
class ItDocsDirectory:
    """IT Docs organizations for the sync: `sync.directory.OrganizationDirectory`."""

    rt: Runtime

    def organizations(self, account_id: str) -> list[Organization]:
        """Every organization of the account, by name."""
        return organizations.list_all(self.rt, account_id)

    def organization(self, account_id: str, organization_id: str) -> Organization:
        """One organization of the account (NotFound for another account's)."""
        return organizations.get(self.rt, account_id, organization_id)

    def create_organization(self, account_id: str, name: str, *, actor: str) -> Organization:
        """A new organization, refused (AlreadyExists) when the exact name is taken."""
        return organizations.create(self.rt, account_id, name, actor=actor)
