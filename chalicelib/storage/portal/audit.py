"""The portal's security audit trail: who changed which security setting when (see
`kit.AuditTrail`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditModel, AuditTrail
from chalicelib.storage.transactions import Transaction


class PortalSecurityAuditModel(AuditModel):
    class Meta:
        logical_name = "portal_security_audit"
        table_name = "portal_security_audit"

    company_id = UnicodeAttribute(hash_key=True)


portal_security_audit = AuditTrail(PortalSecurityAuditModel)


@dataclass(frozen=True)
class NewAuditEntry:
    """An entry to write with the change it records (in the change's transaction)."""

    company_id: str
    entry_key: str
    actor: str
    action: str
    detail: str
    at: dt.datetime


def add_audit_in(tx: Transaction, entry: NewAuditEntry) -> None:
    """Write `entry` in `tx`, so the change and its record are stored together or not at all."""
    tx.save(PortalSecurityAuditModel(entry.company_id, entry.entry_key, actor=entry.actor,
                                     action=entry.action, detail=entry.detail, at=entry.at))
