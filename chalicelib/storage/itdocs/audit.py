"""The IT Docs audit log: who changed what in an account, and when (see `kit.AuditTrail`).

`AuditLine` is one entry written in the same transaction as the change it records
(`add_line`), so a change and its entry are one call and never one without the other.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditModel, AuditTrail
from chalicelib.storage.transactions import Transaction


class ItDocsAuditModel(AuditModel):
    class Meta:
        logical_name = "itdocs_audit"
        table_name = "itdocs_audit"

    account_id = UnicodeAttribute(hash_key=True)


itdocs_audit = AuditTrail(ItDocsAuditModel)


@dataclass(frozen=True)
class AuditLine:
    """One audit entry of an account, keyed by time and a random suffix."""

    account_id: str
    entry_key: str
    actor: str
    action: str
    detail: str
    at: dt.datetime


def add_line(tx: Transaction, line: AuditLine) -> None:
    """Add the entry to `tx` (its key is new: a reused key fails the transaction)."""
    model = ItDocsAuditModel(line.account_id, line.entry_key, actor=line.actor,
                             action=line.action, detail=line.detail, at=line.at)
    tx.save(model, condition=ItDocsAuditModel.entry_key.does_not_exist())
