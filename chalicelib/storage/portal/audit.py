"""The portal's security audit trail: who changed which security setting when (see
`kit.AuditTrail`)."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute

from chalicelib.storage.kit import AuditModel, AuditTrail


class PortalSecurityAuditModel(AuditModel):
    class Meta:
        logical_name = "portal_security_audit"
        table_name = "portal_security_audit"

    company_id = UnicodeAttribute(hash_key=True)


portal_security_audit = AuditTrail(PortalSecurityAuditModel)
