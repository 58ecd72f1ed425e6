"""The IT Docs audit log: who changed what in an account, and when (see `kit.AuditTrail`)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditModel, AuditTrail


class ItDocsAuditModel(AuditModel):
    class Meta:
        logical_name = "itdocs_audit"
        table_name = "itdocs_audit"

    account_id = UnicodeAttribute(hash_key=True)


itdocs_audit = AuditTrail(ItDocsAuditModel)
