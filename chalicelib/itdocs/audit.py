"""The IT Docs audit log: who changed what, and when."""

from __future__ import annotations

from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.audit import itdocs_audit


def record(rt: Runtime, account_id: str, actor: str, action: str, detail: str = "") -> None:
    """Append one entry (keys sort by time; a random suffix keeps same-instant entries apart)."""
    now = rt.clock.now()
    itdocs_audit.add_audit(account_id, f"{now.isoformat()}#{rt.random.hex(4)}", actor, action,
                           detail[:500], now)
