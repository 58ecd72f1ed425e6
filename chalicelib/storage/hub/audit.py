"""The hub audit log: who did what in a hub company, and when (see `kit.AuditTrail`)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditModel, AuditTrail


class HubAuditModel(AuditModel):
    class Meta:
        logical_name = "hub_audit"
        table_name = "hub_audit"

    company_id = UnicodeAttribute(hash_key=True)


hub_audit = AuditTrail(HubAuditModel)
