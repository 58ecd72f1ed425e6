"""IT Docs uniqueness markers: hub company -> account, hub identity -> user, email per account ->
user, organization name per account -> organization."""

from __future__ import annotations

from chalicelib.storage.kit import UniqueMarkers, UniqueModel


class ItDocsUniqueModel(UniqueModel):
    """Markers: hub company -> account, hub identity -> user, email per account -> user."""

    class Meta:
        logical_name = "itdocs_unique"
        table_name = "itdocs_unique"


itdocs_markers = UniqueMarkers(ItDocsUniqueModel)
