"""IT Docs as the sync run's organization directory (`chalicelib.sync.directory`).

`app.py` passes an `ItDocsDirectory` to the sync's queue worker, which matches backup customers to
these organizations. A run acts for no user; what a user does goes through `acting.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.itdocs import organizations
from chalicelib.itdocs.organizations import Organization
from chalicelib.runtime import Runtime


@dataclass(frozen=True)
class ItDocsDirectory:
    """IT Docs organizations for a sync run: `sync.directory.OrganizationDirectory`."""

    rt: Runtime

    def organizations(self, account_id: str) -> list[Organization]:
        """Every organization of the account, by name."""
        return organizations.list_for_sync(self.rt, account_id)
