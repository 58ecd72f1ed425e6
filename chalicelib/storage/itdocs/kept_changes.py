"""Customer records stored before records kept their latest changes, filled from the audit trail.

Until every record of an integration keeps its changes, the matching screen queries the audit
trail for its recent changes. The sync fills such records once: one Query of the integration's
audit trail, then each record's newest entries written on condition its version is still the one
read (a person's change meanwhile leaves it to the next sync, since a decision on such a record
keeps none: `with_change`), so no record ever keeps fewer changes than the trail holds for it.
"""

from __future__ import annotations

from pynamodb.exceptions import UpdateError

from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.itdocs.match_decisions import (
    RECENT_CHANGES,
    AuditEntry,
    CustomerMatch,
    CustomerMatchModel,
    MatchingAuditModel,
    audit_from,
    recent_map,
)


def fill_kept_changes(integration_id: str, records: list[CustomerMatch]) -> int:
    """Fill the records that keep no changes yet; how many were filled (none read when none
    needs it)."""
    unfilled = [r for r in records if r.recent is None]
    if not unfilled:
        return 0
    entries = _newest_by_customer(integration_id, {r.customer_id for r in unfilled})
    return sum(_fill(r, entries.get(r.customer_id, [])) for r in unfilled)


def _newest_by_customer(integration_id: str, wanted: set[str]) -> dict[str, list[AuditEntry]]:
    """customer id -> its newest audit entries (newest first, up to the limit), of `wanted`."""
    found: dict[str, list[AuditEntry]] = {c: [] for c in wanted}
    with translated():
        for item in MatchingAuditModel.query(integration_id, scan_index_forward=False):
            kept = found.get(item.customer_id)
            if kept is not None and len(kept) < RECENT_CHANGES:
                kept.append(audit_from(item))
    return found


def _fill(record: CustomerMatch, entries: list[AuditEntry]) -> bool:
    """Write the record's kept changes unless it changed since read (then False)."""
    item = CustomerMatchModel(record.integration_id, record.customer_id)
    try:
        with translated():
            item.update(actions=[CustomerMatchModel.recent.set([recent_map(e) for e in entries])],
                        condition=CustomerMatchModel.version == record.version)
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
        return False
    return True
