"""The IT Docs audit log: who changed what, and when."""

from __future__ import annotations

from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.audit import AuditLine, itdocs_audit


def line(rt: Runtime, account_id: str, actor: str, action: str, detail: str = "") -> AuditLine:
    """One entry to write with its change (keys sort by time; a random suffix keeps
    same-instant entries apart)."""
    now = rt.clock.now()
    return AuditLine(account_id, f"{now.isoformat()}#{rt.random.hex(4)}", actor, action,
                     detail[:500], now)


def record(rt: Runtime, account_id: str, actor: str, action: str, detail: str = "") -> None:
    """Append one entry on its own."""
    entry = line(rt, account_id, actor, action, detail)
    itdocs_audit.add_audit(entry.account_id, entry.entry_key, entry.actor, entry.action,
                           entry.detail, entry.at)
