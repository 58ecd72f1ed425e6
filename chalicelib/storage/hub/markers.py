"""Hub uniqueness markers (company names, logins), written in the transaction of their record."""

from __future__ import annotations

from chalicelib.storage.kit import UniqueMarkers, UniqueModel


class HubUniqueModel(UniqueModel):
    """Uniqueness markers written in the same transaction as the record they protect."""

    class Meta:
        logical_name = "hub_unique"
        table_name = "hub_unique"


hub_markers = UniqueMarkers(HubUniqueModel)
