"""One sync run of one integration, customer by customer, resumable from a checkpoint.

A run, held by a lease token:

1. fetches the complete customer list (GET /saas/domains, every page), writes the customers whose
   details changed, marks the stored customers the list lacks for the first time and deletes
   those the previous complete list lacked too; an element of the list that is bad data is
   skipped and reported (and, if it had no usable id, nothing is marked or deleted); the
   checkpoint starts: a cursor over the stored customers, 0 of the customers listed done;
2. per customer, in key order (those step 1 just stored; a worker resuming from the checkpoint
   reads them with one Query per page of customers): fetches its seats (the next few
   customers' seats fetching meanwhile, at most two requests at once, see `seat_lookahead`;
   each result is taken in key order, so notes and errors are as one fetch after another) and
   works out the seats that changed, those it no longer has and its seat summary (or falls back to
   `seatsUsed`, see `customer_seats`); a customer whose seats match the digest of those last
   written needs no read and no write. A few customers' writes are stored together (`_Walk`),
   then the checkpoint moves past them conditional on where it was, so two workers never both
   count a customer; the progress shows on the integration;
3. after the last customer: matches customers to the IT Docs organizations the
   `OrganizationDirectory` lists (`decisions.reconcile`), sets the status OK / Error and writes
   one log entry in the transaction that releases the lease, then drops the checkpoint.

A customer list that cannot be proven complete (`IncompleteList`) ends the run in Error before
anything is written: an incomplete answer never deletes (nor marks) a customer.

A worker checks its time budget before each customer (at least one customer each time) and hands
the run on: a fresh lease and, with a queue, a message for the next worker. Budget plus the
slowest customer (`saas_client.WORST_CUSTOMER_SECONDS`) stays under the lease and the worker's
timeout. A worker that dies leaves its lease; when the lease ends the tick resumes the run from
its checkpoint, counting the attempt on the integration (`scheduled`). A rate limit asking for
a longer wait than the client waits pauses the run until then, with the reason shown.
Everything is a diff or keyed by the run, so a repeated customer, a repeated message or a
repeated last step writes nothing new.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.errors import InvalidInput, NotFound, UpstreamError
from chalicelib.matching.reconcile import SyncedCustomer
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.sync_checkpoints import Checkpoint
from chalicelib.sync import customer_seats, lifecycle, listed_customers, seat_lookahead
from chalicelib.sync.decisions import reconcile
from chalicelib.sync.directory import OrganizationDirectory
from chalicelib.sync.run_end import capped, complete
from chalicelib.sync.saas_client import RateLimited, SaasClient, SeatList

CUSTOMERS_PER_QUERY = 25
STORE_EVERY_SECONDS = 2.0
WORKER_BUDGET_SECONDS = 480.0
PROGRESS_EVERY_SECONDS = 2.0
MAX_ATTEMPTS = 3
MAX_PAUSES = 6


@dataclass(frozen=True)
class WorkResult:
    """How a worker left the run: "done", "continue" (with the next lease token), "paused"
    (the rate limit: the tick resumes it) or "stale"."""

    state: str
    lease_token: str | None = None


def secret_context(integration_id: str) -> str:
    return f"itdocs-integration:{integration_id}"


def client_for(rt: Runtime, record: IntegrationRecord) -> SaasClient:
    secret = rt.box.decrypt(record.secret_key, secret_context(record.integration_id))
    return SaasClient(rt.transport, record.base_url, record.public_key,
                      secret.decode("utf-8"), sleep=rt.sleep, monotonic=rt.monotonic)


def work(rt: Runtime, integration_id: str, lease_token: str, *, directory: OrganizationDirectory,
         budget_seconds: float = WORKER_BUDGET_SECONDS,
         page_size: int = CUSTOMERS_PER_QUERY) -> WorkResult:
    """Advance the run holding `lease_token` as far as the budget allows."""
    record = _holding(rt, integration_id, lease_token)
    if record is None:
        return WorkResult("stale")
    try:
        checkpoint = _checkpoint_of(record)
        known = None  # the customers as stored, when this worker began the run
        if checkpoint is None:
            checkpoint, known = _begin(rt, record)
        result = _Walk(rt, record, checkpoint, budget_seconds, page_size, known).through()
        if isinstance(result, WorkResult):
            return result
        _finish(rt, directory, record, result, known)
    except customer_seats.StaleRun:
        return WorkResult("stale")
    except RateLimited as exc:
        return pause(rt, record, exc)
    except (UpstreamError, InvalidInput) as exc:
        fail(rt, record, exc.message)
    return WorkResult("done")


def _holding(rt: Runtime, integration_id: str, lease_token: str) -> IntegrationRecord | None:
    """The integration if `lease_token` holds its live lease (None: the message is stale)."""
    try:
        record = integration_store.get_integration(integration_id)
    except NotFound:
        return None
    if record.lease_token != lease_token or not lifecycle.leased(record, rt.clock.now()):
        logs.event("sync_message_stale", integration_id=integration_id)
        return None
    return record


def _checkpoint_of(record: IntegrationRecord) -> Checkpoint | None:
    checkpoint = checkpoint_store.get_checkpoint(record.integration_id)
    return checkpoint if checkpoint is not None and checkpoint.run_id == record.run_id else None


# -- the steps -------------------------------------------------------------------------------------
def _begin(rt: Runtime, record: IntegrationRecord) -> tuple[Checkpoint, list[BackupCustomer]]:
    """Fetch the whole customer list, write what changed; the run's checkpoint and the
    customers as now stored, in key order (the walk needs no Query of them)."""
    listed = client_for(rt, record).customer_list()
    stored = {c.customer_id: c
              for c in customer_store.customers_of_integration(record.integration_id)}
    notes = [*listed.skipped, *listed_customers.unknown_products(listed.customers)]
    changed = [fresh for fresh in (listed_customers.as_listed(record, c, stored.get(c.customer_id))
                                   for c in listed.customers)
               if fresh != stored.get(fresh.customer_id)]
    first_miss, removed = listed_customers.absent(record, stored, listed, notes)
    written = customer_store.write_customers([*changed, *first_miss], removed,
                                             integration_id=record.integration_id)
    kept_bad = [i for i in listed.bad_ids if i in stored and i not in removed
                and stored[i].missing_since_run is None]
    checkpoint = Checkpoint(
        integration_id=record.integration_id, run_id=record.run_id or "",
        total=len(listed.customers) + len(kept_bad), items_written=written,
        notes=capped(notes))
    checkpoint_store.put_checkpoint(checkpoint)
    integration_store.record_progress(record.integration_id, record.lease_token or "", 0,
                                      checkpoint.total)
    return checkpoint, _as_stored(stored, [*changed, *first_miss], removed)


def _as_stored(before: dict[str, BackupCustomer], written: list[BackupCustomer],
               removed: list[str]) -> list[BackupCustomer]:
    """The customers as stored once `written` are put and `removed` deleted, in key order."""
    after = before | {c.customer_id: c for c in written}
    gone = set(removed)
    return [after[i] for i in sorted(after) if i not in gone]


class _Walk:
    """One worker's walk through the run's customers, from the checkpoint, within its budget.

    The next few customers' seats are fetched while one is worked on (`seat_lookahead`; not
    once the budget is spent, and never after the walk ends). The seats of a few customers are
    stored together (`customer_seats.Pending`, on the storer's thread while the walk goes on),
    then the checkpoint moves past them: at the
    end of each page of customers, after any customer that ends `STORE_EVERY_SECONDS` or more
    since the last store (so a slow vendor still gets a checkpoint per customer), and before
    the worker hands on, pauses, fails or finishes. A worker that dies loses only those few
    customers' work, redone from the checkpoint by the next one.
    """

    def __init__(self, rt: Runtime, record: IntegrationRecord, checkpoint: Checkpoint,
                 budget_seconds: float, page_size: int,
                 known: list[BackupCustomer] | None = None) -> None:
        self.rt, self.record, self.checkpoint = rt, record, checkpoint
        self.budget, self.page_size, self.known = budget_seconds, page_size, known
        self.known_ids = [c.customer_id for c in known or []]
        self.started = self.shown_at = rt.monotonic()
        self.client = client_for(rt, record)
        self.notes = list(checkpoint.notes)
        self.pending = customer_seats.Pending(self.started)
        self.storer = customer_seats.Storer()
        self.done_here = 0  # customers this worker has worked on
        # Only a first attempt knows that what this run listed first has no seats stored yet:
        # a worker that died may have stored some.
        self.first_attempt = record.run_attempts <= 1

    def through(self) -> Checkpoint | WorkResult:
        """The checkpoint after the last customer, or how the worker stopped before it."""
        try:
            return self.walk()
        finally:
            self.storer.close()

    def walk(self) -> Checkpoint | WorkResult:
        """Customer after customer from the checkpoint, the next few fetched ahead
        (`seat_lookahead`), until the last or the budget's end; no fetch outlives the walk."""
        ahead = seat_lookahead.LookAhead(self.client, self.listed(), self.would_reach)
        try:
            return self.through_customers(ahead)
        finally:
            ahead.close()

    def through_customers(self, ahead: seat_lookahead.LookAhead) -> Checkpoint | WorkResult:
        for customer, ends_page in ahead:
            if self.done_here and self.elapsed() >= self.budget:
                ahead.close()  # nothing more is fetched once the worker hands on
                return self.hand_on()
            self.step(customer, ahead.seats)
            self.done_here += 1
            if ends_page or self.rt.monotonic() - self.pending.started >= STORE_EVERY_SECONDS:
                self.store()
            self.show()
        self.store(wait=True)
        return self.checkpoint

    def elapsed(self) -> float:
        return self.rt.monotonic() - self.started

    def would_reach(self, further: int) -> bool:
        """Whether, at this worker's pace so far, the customer `further` places on from the
        current one would still begin within the budget (none is known before the first)."""
        elapsed = self.elapsed()
        return bool(self.done_here) and elapsed + elapsed / self.done_here * further < self.budget

    def listed(self) -> Iterator[tuple[BackupCustomer, bool]]:
        """The customers this run lists, in key order from the checkpoint, each with whether
        it is the last of its page of customers (where the walk stores)."""
        after = self.checkpoint.after_customer
        while batch := self.customers_after(after):
            after = batch[-1].customer_id
            listed = [c for c in batch if c.missing_since_run is None]
            yield from ((c, n == len(listed) - 1) for n, c in enumerate(listed))

    def customers_after(self, after: str) -> list[BackupCustomer]:
        """The next page of customers in key order: of those the run began with in this
        worker, else one Query (a worker resuming from the checkpoint)."""
        if self.known is None:
            return customer_store.customers_after(self.record.integration_id, after,
                                                  self.page_size)
        start = bisect.bisect_right(self.known_ids, after)
        return self.known[start:start + self.page_size]

    def step(self, customer: BackupCustomer, seats: Callable[[], SeatList]) -> None:
        """One customer's seats into the pending ones; those are stored before any error."""
        read_stored = not (self.first_attempt and customer.listed_since_run == self.record.run_id)
        try:
            synced = customer_seats.sync_customer(seats, customer, self.notes,
                                                  read_stored=read_stored)
        except (UpstreamError, InvalidInput):
            self.store(wait=True)
            raise
        self.pending.add(customer.customer_id, synced)

    def store(self, *, wait: bool = False) -> None:
        """Hand the pending customers to the storer, with the checkpoint past them (written
        after them, conditional on where it was); `wait`: until everything is stored."""
        pending, checkpoint = self.pending, self.checkpoint
        self.pending = customer_seats.Pending(self.rt.monotonic())
        if pending.customers:
            self.checkpoint = dataclasses.replace(
                checkpoint, after_customer=pending.last_customer,
                done=checkpoint.done + pending.customers,
                seats_seen=checkpoint.seats_seen + pending.seats_seen,
                items_written=checkpoint.items_written + pending.items(),
                fallbacks=checkpoint.fallbacks + pending.fallbacks, notes=capped(self.notes))
            self.storer.submit(pending, self.checkpoint, checkpoint.done)
        if wait:
            self.storer.wait()

    def hand_on(self) -> WorkResult:
        """Out of budget: store what is pending, show where the run is, and hand it on."""
        self.store(wait=True)
        self.show(now=True)
        return _hand_on(self.rt, self.record)

    def show(self, *, now: bool = False) -> None:
        """Progress on the integration: at most one write per customer, one per few seconds
        (and always the last customer, and where a worker hands on)."""
        at = self.rt.monotonic()
        done, total = self.checkpoint.done + self.pending.customers, self.checkpoint.total
        if not (now or at - self.shown_at >= PROGRESS_EVERY_SECONDS or done >= total):
            return
        self.shown_at = at
        integration_store.record_progress(self.record.integration_id,
                                          self.record.lease_token or "", done, total)


def _finish(rt: Runtime, directory: OrganizationDirectory, record: IntegrationRecord,
            checkpoint: Checkpoint, known: list[BackupCustomer] | None) -> None:
    """After the last customer: match, status, log, checkpoint gone (`known`: the customers
    this worker began the run with; the walk changes only their seat summaries)."""
    if known is None:
        known = customer_store.customers_of_integration(record.integration_id)
    listed = [c for c in known if c.missing_since_run is None]
    linked = [SyncedCustomer(c.customer_id, c.organization_name, c.domain, c.product)
              for c in listed if c.organization_name]
    outcome = reconcile(
        rt, account_id=record.account_id, integration_id=record.integration_id,
        customers=linked, organizations=directory.organizations(record.account_id),
        accept_automatically=record.accept_automatically, now=rt.clock.now())
    fallbacks = checkpoint.fallbacks
    reason = (f"Seats of {fallbacks} customer{'s' if fallbacks != 1 else ''} could not be "
              "fetched; see the log." if fallbacks else "")
    notes = [*checkpoint.notes, f"{outcome.matched} matched, {outcome.unmatched} unmatched, "
             f"{outcome.ignored} ignored."]
    complete(rt, record, lifecycle.OK, reason, checkpoint, outcome.newly_matched,
             checkpoint.items_written + outcome.writes, notes)


def fail(rt: Runtime, record: IntegrationRecord, reason: str) -> None:
    """End the run in Error with `reason`, keeping the data it wrote so far."""
    logs.event("sync_failed", integration_id=record.integration_id, reason=reason[:300])
    checkpoint = _checkpoint_of(record)
    complete(rt, record, lifecycle.ERROR, reason, checkpoint, 0,
             checkpoint.items_written if checkpoint else 0,
             list(checkpoint.notes) if checkpoint else [])


def pause(rt: Runtime, record: IntegrationRecord, limited: RateLimited) -> WorkResult:
    """The vendor asked for a long wait: hold the run until then (the tick resumes it)."""
    if record.run_pauses >= MAX_PAUSES:
        fail(rt, record, f"{limited.message} The sync had already waited {MAX_PAUSES} times.")
        return WorkResult("done")
    now = rt.clock.now()
    resumes_at = now + dt.timedelta(seconds=max(limited.retry_after, 1))
    note = f"Rate limited by SaaS Protection; continuing at {resumes_at:%H:%M} UTC."

    def decide(current: IntegrationRecord) -> IntegrationRecord | None:
        if current.lease_token != record.lease_token:
            return None
        return dataclasses.replace(
            current, lease_token=rt.random.token(16), lease_until=resumes_at,
            run_resumes_at=resumes_at, run_note=note, run_pauses=current.run_pauses + 1)

    if lifecycle.change(record.integration_id, decide) is None:
        return WorkResult("stale")
    logs.event("sync_paused", integration_id=record.integration_id, run_id=record.run_id,
               retry_after=limited.retry_after, resumes_at=resumes_at.isoformat())
    return WorkResult("paused")


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
