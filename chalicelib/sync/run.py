"""One sync run of one integration, in pages of customers, resumable from a checkpoint.

A run, held by a lease token:

1. fetches the complete customer list (GET /saas/domains, every page) and writes the customers
   whose details changed; removed customers are kept for now; the checkpoint lists the customers;
2. per page of customers: fetches each customer's seats, writes the seats that changed, deletes
   the seats that customer no longer has, updates its seat summary, then advances the checkpoint
   (conditional on where it was, so two workers never both count a page). A customer whose seats
   cannot be fetched keeps its stored seats and shows `seatsUsed` with a note in the log;
3. after the last page (a complete fetch): matches customers to the IT Docs organizations the
   `OrganizationDirectory` lists (`decisions.reconcile`), marks the customers the list lacks for the
   first time and deletes those the previous complete list lacked too, sets the status OK / Error,
   writes one log entry and drops the checkpoint.

A customer list that cannot be proven complete (`IncompleteList`) ends the run in Error before
anything is written: an incomplete answer never deletes (nor marks) a customer.

A worker stops after its time budget (at least one page each time) and hands the run on: a fresh
lease and, with a queue, a message for the next worker. A worker that dies leaves its lease; when
the lease ends the tick resumes the run from its checkpoint. Everything is a diff or keyed by the
run, so a repeated page, a repeated message or a repeated last step writes nothing new.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.errors import InvalidInput, NotFound, UpstreamError
from chalicelib.matching.reconcile import SyncedCustomer
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.sync_checkpoints import Checkpoint
from chalicelib.storage.itdocs.sync_logs import SyncLogEntry
from chalicelib.sync import lifecycle, vocabulary
from chalicelib.sync.decisions import reconcile
from chalicelib.sync.directory import OrganizationDirectory
from chalicelib.sync.saas_client import RateLimited, RemoteCustomer, RemoteSeat, SaasClient

CUSTOMERS_PER_PAGE = 25
WORKER_BUDGET_SECONDS = 600.0
MAX_ATTEMPTS = 3
MAX_NOTES = 40


@dataclass(frozen=True)
class WorkResult:
    """How a worker left the run: "done", "continue" (with the next lease token) or "stale"."""

    state: str
    lease_token: str | None = None


def secret_context(integration_id: str) -> str:
    return f"itdocs-integration:{integration_id}"


def client_for(rt: Runtime, record: IntegrationRecord) -> SaasClient:
    secret = rt.box.decrypt(record.secret_key, secret_context(record.integration_id))
    return SaasClient(rt.transport, record.base_url, record.public_key,
                      secret.decode("utf-8"), sleep=rt.sleep)


def work(rt: Runtime, integration_id: str, lease_token: str, *, directory: OrganizationDirectory,
         budget_seconds: float = WORKER_BUDGET_SECONDS,
         page_size: int = CUSTOMERS_PER_PAGE) -> WorkResult:
    """Advance the run holding `lease_token` as far as the budget allows."""
    try:
        record = integration_store.get_integration(integration_id)
    except NotFound:
        return WorkResult("stale")
    if record.lease_token != lease_token or not lifecycle.leased(record, rt.clock.now()):
        logs.event("sync_message_stale", integration_id=integration_id)
        return WorkResult("stale")
    started = rt.monotonic()
    checkpoint = checkpoint_store.get_checkpoint(integration_id)
    try:
        if checkpoint is None or checkpoint.run_id != record.run_id:
            checkpoint = _begin(rt, record)
        pages = 0
        while checkpoint.cursor < len(checkpoint.customer_ids):
            if pages and rt.monotonic() - started >= budget_seconds:
                return _hand_on(rt, record)
            moved = _page(rt, record, checkpoint, page_size)
            if moved is None:
                return WorkResult("stale")
            checkpoint, pages = moved, pages + 1
        _finish(rt, directory, record, checkpoint)
    except (UpstreamError, InvalidInput) as exc:
        _fail(rt, record, checkpoint, exc.message)
    return WorkResult("done")


# -- the steps -------------------------------------------------------------------------------------
def _begin(rt: Runtime, record: IntegrationRecord) -> Checkpoint:
    """Fetch the whole customer list and write changed customers; the run's checkpoint."""
    remote = client_for(rt, record).customers()
    stored = {c.customer_id: c
              for c in customer_store.customers_of_integration(record.integration_id)}
    notes = []
    changed = []
    for customer in remote:
        if customer.product not in vocabulary.PRODUCT_NAMES:
            notes.append(f"Customer {customer.customer_id} ({customer.name}) has an unknown "
                         f"productType {customer.product!r}.")
            logs.event("saas_unknown_value", field="productType", value=customer.product[:40])
        fresh = _customer(record, customer, stored.get(customer.customer_id))
        if fresh != stored.get(customer.customer_id):
            changed.append(fresh)
    written = customer_store.write_customers(changed)
    checkpoint = Checkpoint(
        integration_id=record.integration_id, run_id=record.run_id or "",
        cursor=0, customer_ids=[c.customer_id for c in remote],
        seats_used=[c.seats_used for c in remote], items_written=written, notes=notes[:MAX_NOTES],
    )
    checkpoint_store.put_checkpoint(checkpoint)
    return checkpoint


def _customer(record: IntegrationRecord, remote: RemoteCustomer,
              before: customer_store.BackupCustomer | None) -> customer_store.BackupCustomer:
    """The stored customer with the list's details (its seat summary kept as it was)."""
    kept = before or customer_store.BackupCustomer(
        integration_id=record.integration_id, customer_id=remote.customer_id,
        account_id=record.account_id, name="", organization_name=None, domain="", product="",
        seats_used=0, active_services=0, recent_backup_services=0, backup_percentage=0.0)
    return dataclasses.replace(
        kept, account_id=record.account_id, name=remote.name,
        organization_name=remote.organization_name, domain=remote.domain, product=remote.product,
        seats_used=remote.seats_used, active_services=remote.active_services,
        recent_backup_services=remote.recent_backup_services,
        backup_percentage=remote.backup_percentage, missing_since_run=None)


def _page(rt: Runtime, record: IntegrationRecord, checkpoint: Checkpoint,
          page_size: int) -> Checkpoint | None:
    """Fetch and write one page of customers' seats; the advanced checkpoint (None: lost it)."""
    client = client_for(rt, record)
    end = min(checkpoint.cursor + page_size, len(checkpoint.customer_ids))
    seats_seen, written, notes = 0, 0, list(checkpoint.notes)
    for index in range(checkpoint.cursor, end):
        customer_id = checkpoint.customer_ids[index]
        customer = customer_store.get_customer(record.integration_id, customer_id)
        if customer is None:
            continue
        try:
            seats = client.seats(customer_id)
        except RateLimited:
            raise
        except UpstreamError as exc:
            note = (f"Seats of customer {customer_id} ({customer.name}) could not be fetched "
                    f"({exc.message}); kept the seats stored before and used seatsUsed "
                    f"({checkpoint.seats_used[index]}) from the customer list.")
            notes.append(note)
            logs.event("sync_seats_fallback", integration_id=record.integration_id,
                       customer_id=customer_id)
            seats_seen += checkpoint.seats_used[index]
            written += _write_customer(dataclasses.replace(customer, seats_note=note), customer)
            continue
        seats_seen += len(seats)
        written += _write_seats(record.integration_id, customer, seats, notes)
    advanced = dataclasses.replace(
        checkpoint, cursor=end, seats_seen=checkpoint.seats_seen + seats_seen,
        items_written=checkpoint.items_written + written, notes=_capped(notes))
    if not checkpoint_store.advance_checkpoint(advanced, checkpoint.cursor):
        return None
    return advanced


def _write_seats(integration_id: str, customer: customer_store.BackupCustomer,
                 remote: list[RemoteSeat], notes: list[str]) -> int:
    """Diff-write one customer's seats and its summary; items written."""
    stored = {s.seat_key: s
              for s in seat_store.seats_of_customer(integration_id, customer.customer_id)}
    fetched: dict[str, seat_store.BackupSeat] = {}
    for remote_seat in remote:
        fetched[remote_seat.remote_id] = seat_store.BackupSeat(
            seat_key=remote_seat.remote_id, main_id=remote_seat.main_id, name=remote_seat.name,
            seat_type=remote_seat.seat_type, seat_state=remote_seat.seat_state,
            billable=remote_seat.billable, date_added=remote_seat.date_added)
    changed = [s for key, s in fetched.items() if stored.get(key) != s]
    removed = [key for key in stored if key not in fetched]
    written = seat_store.write_seats(integration_id, customer.customer_id, changed, removed)
    states: Counter[str] = Counter(s.seat_state for s in fetched.values())
    unknown = {state: n for state, n in states.items() if not vocabulary.is_known_state(state)}
    for state, count in sorted(unknown.items()):
        notes.append(f"Customer {customer.customer_id} ({customer.name}): {count} seats with "
                     f"unknown seatState {state!r}, counted as not protected.")
        logs.event("saas_unknown_value", field="seatState", value=state[:40], seats=count)
    services: Counter[str] = Counter()
    for seat in fetched.values():
        if seat.seat_state == vocabulary.ACTIVE:
            services.update(vocabulary.seat_services(customer.product, seat.seat_type))
    summary = dataclasses.replace(
        customer, protected_seats=states.get(vocabulary.ACTIVE, 0), seat_states=dict(states),
        service_seats=dict(services), seats_note="")
    return written + _write_customer(summary, customer)


def _write_customer(wanted: customer_store.BackupCustomer,
                    before: customer_store.BackupCustomer) -> int:
    return customer_store.write_customers([wanted]) if wanted != before else 0


def _finish(rt: Runtime, directory: OrganizationDirectory, record: IntegrationRecord,
            checkpoint: Checkpoint) -> None:
    """After a complete fetch: match, drop removed customers, status, log, checkpoint gone."""
    received = set(checkpoint.customer_ids)
    stored = customer_store.customers_of_integration(record.integration_id)
    absent = [c for c in stored if c.customer_id not in received]
    removed = [c.customer_id for c in absent if c.missing_since_run not in (None, record.run_id)]
    first_miss = [dataclasses.replace(c, missing_since_run=record.run_id or "")
                  for c in absent if c.missing_since_run is None]
    linked = [
        SyncedCustomer(c.customer_id, c.organization_name, c.domain, c.product)
        for c in stored if c.customer_id in received and c.organization_name
    ]
    outcome = reconcile(
        rt, account_id=record.account_id, integration_id=record.integration_id,
        customers=linked, organizations=directory.organizations(record.account_id),
        accept_automatically=record.accept_automatically, now=rt.clock.now())
    written = checkpoint.items_written + outcome.writes
    written += customer_store.write_customers(first_miss, removed,
                                              integration_id=record.integration_id)
    fallbacks = sum(1 for n in checkpoint.notes if n.startswith("Seats of customer"))
    reason = (f"Seats of {fallbacks} customer{'s' if fallbacks != 1 else ''} could not be "
              "fetched; see the log." if fallbacks else "")
    notes = [*checkpoint.notes, f"{outcome.matched} matched, {outcome.unmatched} unmatched, "
             f"{outcome.ignored} ignored; {len(removed)} customers no longer listed removed; "
             f"{len(first_miss)} missing for the first time (removed if the next complete list "
             "lacks them too)."]
    complete(rt, record, lifecycle.OK, reason, checkpoint, outcome.newly_matched, written, notes)


def _fail(rt: Runtime, record: IntegrationRecord, checkpoint: Checkpoint | None,
          reason: str) -> None:
    logs.event("sync_failed", integration_id=record.integration_id, reason=reason[:300])
    complete(rt, record, lifecycle.ERROR, reason, checkpoint, 0,
              checkpoint.items_written if checkpoint else 0,
              list(checkpoint.notes) if checkpoint else [])


def complete(rt: Runtime, record: IntegrationRecord, outcome: str, reason: str,
              checkpoint: Checkpoint | None, matches: int, written: int,
              notes: list[str]) -> None:
    """Release the lease with the outcome (only if still ours), then the log entry."""
    now = rt.clock.now()

    def decide(current: IntegrationRecord) -> IntegrationRecord | None:
        if current.lease_token != record.lease_token:
            return None
        return lifecycle.released(dataclasses.replace(
            current, last_outcome=outcome, last_reason=reason,
            last_sync_at=now if outcome == lifecycle.OK else current.last_sync_at))

    if lifecycle.change(record.integration_id, decide) is None:
        return
    entry = SyncLogEntry(
        integration_id=record.integration_id, account_id=record.account_id,
        run_id=record.run_id or "", trigger=record.run_trigger or "automatic",
        started_at=record.run_started_at or now, ended_at=now,
        customers_seen=len(checkpoint.customer_ids) if checkpoint else 0,
        seats_seen=checkpoint.seats_seen if checkpoint else 0, matches_made=matches,
        items_written=written, outcome=outcome, reason=reason, notes=_capped(notes))
    log_store.put_log(entry)
    checkpoint_store.delete_checkpoint(record.integration_id, record.run_id)
    logs.event("sync_run", integration_id=record.integration_id, run_id=entry.run_id,
               trigger=entry.trigger, outcome=outcome, customers=entry.customers_seen,
               seats=entry.seats_seen, matches=matches, written=written)


def _hand_on(rt: Runtime, record: IntegrationRecord) -> WorkResult:
    """Out of budget: a fresh lease for the next worker (the checkpoint says where to go on)."""
    token = rt.random.token(16)
    now = rt.clock.now()

    def decide(current: IntegrationRecord) -> IntegrationRecord | None:
        if current.lease_token != record.lease_token:
            return None
        return dataclasses.replace(current, lease_token=token, lease_until=now + lifecycle.LEASE)

    if lifecycle.change(record.integration_id, decide) is None:
        return WorkResult("stale")
    return WorkResult("continue", token)


def _capped(notes: list[str]) -> list[str]:
    if len(notes) <= MAX_NOTES:
        return notes
    return [*notes[: MAX_NOTES - 1], f"... and {len(notes) - MAX_NOTES + 1} more notes."]
