"""What a sync run needs of IT Docs' organizations: a protocol it defines and IT Docs implements.

The sync never imports IT Docs. The queue consumer in `app.py` hands an `OrganizationDirectory` to
the sync run, which matches the customers it fetched to the account's organizations, so the
dependency runs one way: itdocs -> sync. (A run acts for no user; what a user does goes through
`acting.ActingUser`.)
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
    """An IT Docs account's organizations, as a scheduled sync run lists them."""

    def organizations(self, account_id: str) -> Sequence[NamedOrganization]:
        """Every organization of the account."""
        ...
