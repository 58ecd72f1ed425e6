"""The hub audit log: who did what in a hub company, and when (see `kit.AuditTrail`)."""

from __future__ import annotations

import datetime as dt

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditModel, AuditTrail


class HubAuditModel(AuditModel):
    class Meta:
        logical_name = "hub_audit"
        table_name = "hub_audit"

    company_id = UnicodeAttribute(hash_key=True)


hub_audit = AuditTrail(HubAuditModel)


def audit_item(company_id: str, entry_key: str, actor: str, action: str, detail: str,
               at: dt.datetime) -> HubAuditModel:
    """An audit entry to write in the transaction of the change it records."""
    return HubAuditModel(company_id, entry_key, actor=actor, action=action, detail=detail, at=at)
