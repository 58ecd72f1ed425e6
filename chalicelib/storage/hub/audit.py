"""The hub audit log: who did what in a hub company, and when (see `kit.AuditTrail`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditEntry, AuditModel, AuditTrail
from chalicelib.storage.transactions import Transaction


class HubAuditModel(AuditModel):
    class Meta:
        logical_name = "hub_audit"
        table_name = "hub_audit"

    company_id = UnicodeAttribute(hash_key=True)


hub_audit = AuditTrail(HubAuditModel)


@dataclass(frozen=True)
class Audited:
    """The audit entry written with a change: its company, its key and what it says."""

    company_id: str
    entry_key: str
    entry: AuditEntry


def audit_item(company_id: str, entry_key: str, actor: str, action: str, detail: str,
               at: dt.datetime) -> HubAuditModel:
    """An audit entry to write in the transaction of the change it records."""
    return HubAuditModel(company_id, entry_key, actor=actor, action=action, detail=detail, at=at)


def save_audited(tx: Transaction, audited: Audited) -> None:
    """Add the audit entry of a change to the change's own transaction (both or neither)."""
    e = audited.entry
    tx.save(audit_item(audited.company_id, audited.entry_key, e.actor, e.action, e.detail, e.at))
