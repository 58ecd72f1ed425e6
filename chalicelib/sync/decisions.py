"""One sync's match decisions, written: each customer's record brought up to date.

`reconcile` reads the integration's records, lets the pure core (`chalicelib.matching.reconcile`)
decide what changes, and writes only those records, each conditional on the version read: a
person's change made during the sync wins and is reported as it stands. The audit trail gets the
sync's automatic acceptances and the matches a deleted organization undid, each also kept among
its record's recent changes (written with the record, so the matching screen reads none apart);
records stored before records kept them are filled from the audit trail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib import logs
from chalicelib.matching import reconcile as decide
from chalicelib.matching.reconcile import ReconcileOutcome, Standing, SyncedCustomer
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import kept_changes
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.match_decisions import AuditEntry, CustomerMatch
from chalicelib.sync.directory import NamedOrganization

STANDING_FIELDS = tuple(field.name for field in dataclasses.fields(Standing))


def reconcile(
    rt: Runtime,
    *,
    account_id: str,
    integration_id: str,
    customers: list[SyncedCustomer],
    organizations: Sequence[NamedOrganization],
    accept_automatically: bool,
    now: dt.datetime,
) -> ReconcileOutcome:
    """Match the customers a sync received against the account's organizations; write changes."""
    existing = {r.customer_id: r for r in store.matches_of_integration(integration_id)}
    names = {o.organization_id: o.name for o in organizations}
    standings = {cid: standing_of(record) for cid, record in existing.items()}
    changes = decide.reconcile(
        customers, names, standings, accept_automatically=accept_automatically, now=now
    )
    records = {
        cid: record_of(change.standing, existing.get(cid), account_id, integration_id, now)
        for cid, change in changes.items()
    }
    entries = _audit_entries(rt, existing, changes, records, names, now)
    written, lost = _write(records, entries)
    final = {**written, **{cid: store.get_match(integration_id, cid) for cid in lost}}
    kept_changes.fill_kept_changes(integration_id, list({**existing, **final}.values()))
    received = dict.fromkeys(c.customer_id for c in customers)
    current = [final[cid] if cid in final else existing[cid] for cid in received]
    outcome = decide.tally(current, existing, writes=len(written))
    _log(integration_id, outcome, lost=len(lost))
    return outcome


def _write(records: dict[str, CustomerMatch], entries: dict[str, AuditEntry]
           ) -> tuple[dict[str, CustomerMatch], set[str]]:
    """Write the changed records (each keeping its entry) and the entries of those written;
    the records written, by customer id, and the customer ids lost to a concurrent change."""
    records = {cid: _keeping(record, entries.get(cid)) for cid, record in records.items()}
    lost = set(store.write_reconciled(records.values()))
    written = {cid: record for cid, record in records.items() if cid not in lost}
    store.add_audit_entries(e for cid, e in entries.items() if cid in written)
    return written, lost


def standing_of(record: CustomerMatch) -> Standing:
    """The matching part of a stored record."""
    return Standing(**{name: getattr(record, name) for name in STANDING_FIELDS})


def record_of(
    standing: Standing,
    before: CustomerMatch | None,
    account_id: str,
    integration_id: str,
    now: dt.datetime,
) -> CustomerMatch:
    """The record to write for a changed standing: the next version of `before`, or version 1."""
    fields: dict[str, Any] = {name: getattr(standing, name) for name in STANDING_FIELDS}
    if before is None:
        return CustomerMatch(
            integration_id=integration_id,
            account_id=account_id,
            updated_at=now,
            version=1,
            **fields,
        )
    return dataclasses.replace(before, updated_at=now, version=before.version + 1, **fields)


def _keeping(record: CustomerMatch, entry: AuditEntry | None) -> CustomerMatch:
    """The record to write: keeping its audit entry among its recent changes, if it has one."""
    return record if entry is None else store.with_change(record, entry)


def _audit_entries(
    rt: Runtime,
    existing: Mapping[str, CustomerMatch],
    changes: Mapping[str, decide.Change],
    records: Mapping[str, CustomerMatch],
    names: Mapping[str, str],
    now: dt.datetime,
) -> dict[str, AuditEntry]:
    """customer id -> the entry for its change, when the change calls for one (by the sync)."""
    entries = {}
    for customer_id, record in records.items():
        action = changes[customer_id].audit_action
        if action is None:
            continue
        before = existing.get(customer_id)
        entries[customer_id] = AuditEntry(
            integration_id=record.integration_id,
            entry_key=f"{now.isoformat()}#{rt.random.hex(6)}",
            account_id=record.account_id,
            customer_id=record.customer_id,
            customer_name=record.customer_name,
            action=action,
            actor=decide.SYNC_ACTOR,
            organization_id=record.organization_id,
            organization_name=names.get(record.organization_id or ""),
            previous_organization_id=before.organization_id if before else None,
            at=now,
        )
    return entries


def _log(integration_id: str, outcome: ReconcileOutcome, *, lost: int) -> None:
    logs.event(
        "matching_reconciled",
        integration_id=integration_id,
        matched=outcome.matched,
        unmatched=outcome.unmatched,
        ignored=outcome.ignored,
        newly_matched=outcome.newly_matched,
        writes=outcome.writes,
        lost_to_concurrent_changes=lost,
    )
