"""Partner Portal uniqueness markers (company names, usernames, emails per company)."""

from __future__ import annotations

from chalicelib.storage.kit import UniqueMarkers, UniqueModel


class PortalUniqueModel(UniqueModel):
    """Uniqueness markers (company name, username, email per company) written with their record."""

    class Meta:
        logical_name = "portal_unique"
        table_name = "portal_unique"


portal_markers = UniqueMarkers(PortalUniqueModel)
