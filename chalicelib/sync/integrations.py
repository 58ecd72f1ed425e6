"""IT Docs' SaaS Protection integrations: connect, edit, list, manual sync and logs (delete:
`integration_deletion`).

Every function here acts for an IT Docs user (`acting.ActingUser`) and first requires that they may
manage integrations; it is scoped to their account: another account's integration is NotFound.

Manual sync: one conditional update takes the six-hour lock and the lease together
(`storage.itdocs.integrations.claim_manual_sync`), so of many simultaneous requests exactly one
starts a sync and the others get TooManyRequests with the time it becomes available. The run goes
to the sync queue (SQS in AWS; a worker thread of this process under `make run`), so the request
answers at once with "Syncing..."; the run records how many customers it has done of how many,
which `view()` shows as the progress. Connect and Change API keys store the keys at once with
"Checking keys..." and check them on the same queue (`key_check`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.errors import ConcurrentChange, InvalidInput, NotFound, TooManyRequests
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.storage.itdocs.sync_logs import SyncLogEntry
from chalicelib.sync import integration_deletion, key_check, lifecycle, run, scheduled
from chalicelib.sync.acting import MANAGE_INTEGRATIONS, ActingUser

SyncLog = SyncLogEntry
MAX_KEY_LENGTH = 200
MATCHING_CHOICES = ("review", "accept")
IN_PROGRESS = (lifecycle.SYNCING, key_check.CHECKING)
WAITING_FOR_RUN = "Waiting for the sync run in progress to stop; removal starts by"
REMOVING = "Removing its synced customers, matching and sync logs."


@dataclass(frozen=True)
class Integration:
    """An integration as the Integrations page shows it (never the secret key)."""

    integration_id: str
    account_id: str
    public_key: str
    base_url: str
    sync_enabled: bool
    accept_automatically: bool
    status: str
    status_reason: str
    last_sync_at: dt.datetime | None
    next_sync_at: dt.datetime | None
    manual_sync_available_at: dt.datetime | None
    queued_sync_at: dt.datetime | None
    progress_done: int = 0
    """customers the running sync has finished (0 when none runs)"""
    progress_total: int = 0
    """customers the running sync found (0 when none runs, or before the list arrived)"""
    removal_starts_by: dt.datetime | None = None
    """being deleted: when the removal starts at the latest (None: it is under way)"""

    @property
    def in_progress(self) -> bool:
        """A sync or a key check is under way: the page keeps asking for the status."""
        return self.status in IN_PROGRESS


class ManualSyncUnavailable(TooManyRequests):
    """A manual sync ran less than six hours ago (or a sync is running): when it is possible."""

    def __init__(self, message: str, retry_after: int, available_at: dt.datetime) -> None:
        super().__init__(message, retry_after=retry_after)
        self.available_at = available_at


def view(record: IntegrationRecord, now: dt.datetime) -> Integration:
    status, reason = lifecycle.shown_status(record, now)
    starts_by = _removal_starts_by(record, status, now)
    if status == lifecycle.BEING_DELETED:
        reason = f"{WAITING_FOR_RUN} {starts_by:%H:%M} UTC." if starts_by else REMOVING
    upcoming = [t for t in (record.next_sync_at, record.queued_sync_at) if t is not None]
    return Integration(
        integration_id=record.integration_id, account_id=record.account_id,
        public_key=record.public_key, base_url=record.base_url,
        sync_enabled=record.sync_enabled, accept_automatically=record.accept_automatically,
        status=status, status_reason=reason, last_sync_at=record.last_sync_at,
        next_sync_at=min(upcoming) if upcoming and record.sync_enabled else None,
        manual_sync_available_at=lifecycle.manual_sync_available_at(record, now),
        queued_sync_at=record.queued_sync_at,
        removal_starts_by=starts_by, **_progress(record, status),
    )


def _removal_starts_by(record: IntegrationRecord, status: str,
                       now: dt.datetime) -> dt.datetime | None:
    """While being deleted: when the sync run the mark interrupted can no longer write, so the
    removal starts (None once that moment has passed, or when no run was interrupted)."""
    end = integration_deletion.writes_end(record) if status == lifecycle.BEING_DELETED else None
    return end if end is not None and end > now else None


def _progress(record: IntegrationRecord, status: str) -> dict[str, int]:
    """Customers done of total while a sync runs (the run writes both as it goes)."""
    if status != lifecycle.SYNCING:
        return {"progress_done": 0, "progress_total": 0}
    total = max(0, record.sync_total)
    return {"progress_done": min(max(0, record.sync_done), total), "progress_total": total}


def of_account(account_id: str, integration_id: str) -> IntegrationRecord:
    """The integration's record when it belongs to the account (NotFound otherwise)."""
    record = integration_store.get_integration(integration_id)
    if record.account_id != account_id:
        raise NotFound("No such integration.")
    return record


def reached(user: ActingUser, integration_id: str) -> IntegrationRecord:
    """The integration's record when it is the user's account's (NotFound otherwise), as read
    with the user's session when it was, so a page reads it once."""
    carried = user.integration_read(integration_id)
    if carried is not None and carried.account_id == user.account_id:
        return carried
    return of_account(user.account_id, integration_id)


def _keys(public_key: str, secret_key: str) -> tuple[str, str]:
    public_key, secret_key = public_key.strip(), secret_key.strip()
    if not public_key:
        raise InvalidInput("Enter the SaaS Protection API Public Key.", field="public_key")
    if not secret_key:
        raise InvalidInput("Enter the SaaS Protection API Secret Key.", field="secret_key")
    if len(public_key) > MAX_KEY_LENGTH or len(secret_key) > MAX_KEY_LENGTH or ":" in public_key:
        raise InvalidInput("Those do not look like SaaS Protection API keys.", field="public_key")
    return public_key, secret_key


def _base_url(rt: Runtime, base_url: str | None) -> str:
    url = (base_url or rt.settings.saas_api_base_url).strip().rstrip("/")
    local = url.startswith(("http://localhost", "http://127.0.0.1"))
    if not (url.startswith("https://") or local) or len(url) > 300:
        raise InvalidInput("The API base URL must be an https:// address.", field="base_url")
    return url


def connect(rt: Runtime, user: ActingUser, *, public_key: str, secret_key: str,
            base_url: str | None = None) -> Integration:
    """Store the integration (secret encrypted) as "Checking keys...", and queue the key check.

    The form's own mistakes (a missing key, a bad URL) are InvalidInput at once; what the REST
    API says of the keys arrives as the integration's status ("Keys refused" and why).
    """
    user.require(MANAGE_INTEGRATIONS)
    public_key, secret_key = _keys(public_key, secret_key)
    url = _base_url(rt, base_url)
    integration_id = rt.random.hex(8)
    record = key_check.checking(IntegrationRecord(
        integration_id=integration_id, account_id=user.account_id, public_key=public_key,
        secret_key=_sealed(rt, integration_id, secret_key), base_url=url, sync_enabled=False,
        accept_automatically=False, connected_at=rt.clock.now(), connected_by=user.name,
        last_outcome=lifecycle.NEVER_SYNCED,
    ), rt.clock.now())
    integration_store.create_integration(record)
    logs.event("integration_connected", account_id=user.account_id,
               integration_id=integration_id, actor=user.name)
    key_check.request(rt, record)
    return get(rt, user, integration_id)


def _sealed(rt: Runtime, integration_id: str, secret_key: str) -> str:
    """The secret key encrypted for this integration only (never stored in the clear)."""
    return rt.box.encrypt(secret_key.encode(), run.secret_context(integration_id))


@dataclass(frozen=True)
class _NewKeys:
    """A key pair `update` saves: the public key and the already sealed secret."""

    public_key: str
    sealed_secret: str


def update(rt: Runtime, user: ActingUser, integration_id: str, *, sync_enabled: bool,
           accept_automatically: bool, public_key: str | None = None,
           secret_key: str | None = None) -> Integration:
    """Change the options (and, when given, the keys: saved as "Checking keys...", then checked
    on the sync queue).

    Turning sync on makes the first automatic sync due now; later ones follow every 24 hours
    from when the integration was connected.
    """
    user.require(MANAGE_INTEGRATIONS)
    current = reached(user, integration_id)
    keys = None
    if public_key or secret_key:
        public_key, secret_key = _keys(public_key or current.public_key, secret_key or "")
        keys = _NewKeys(public_key, _sealed(rt, integration_id, secret_key))
    now = rt.clock.now()
    saved = lifecycle.change(integration_id, _options(user.account_id, now, sync_enabled,
                                                      accept_automatically, keys))
    logs.event("integration_updated", integration_id=integration_id, actor=user.name,
               sync_enabled=sync_enabled, accept_automatically=accept_automatically,
               keys_changed=keys is not None)
    if keys is not None and saved is not None:
        key_check.request(rt, saved)
        return get(rt, user, integration_id)
    return view(saved or current, now)


def _options(account_id: str, now: dt.datetime, sync_enabled: bool, accept_automatically: bool,
             keys: _NewKeys | None) -> Callable[[IntegrationRecord], IntegrationRecord]:
    """The change `update` makes to a fresh read of the record."""

    def decide(record: IntegrationRecord) -> IntegrationRecord:
        if record.account_id != account_id:
            raise NotFound("No such integration.")
        changed = dataclasses.replace(record, sync_enabled=sync_enabled,
                                      accept_automatically=accept_automatically)
        if sync_enabled and not record.sync_enabled:
            changed = dataclasses.replace(changed, next_sync_at=now)
        if keys is not None:
            changed = key_check.checking(dataclasses.replace(
                changed, public_key=keys.public_key, secret_key=keys.sealed_secret), now)
        return changed

    return decide


def save_options(rt: Runtime, user: ActingUser, integration_id: str, *, sync_enabled: bool,
                 matching: str) -> Integration:
    """The options form: sync on or off, and matching "review" (Leave for Review) or "accept"
    (Accept All Automatically)."""
    user.require(MANAGE_INTEGRATIONS)
    if matching not in MATCHING_CHOICES:
        raise InvalidInput("Choose Leave for Review or Accept All Automatically.")
    return update(rt, user, integration_id, sync_enabled=sync_enabled,
                  accept_automatically=matching == "accept")


def change_keys(rt: Runtime, user: ActingUser, integration_id: str, *, public_key: str,
                secret_key: str) -> Integration:
    """New API keys (checked on the sync queue); the options stay as they are."""
    user.require(MANAGE_INTEGRATIONS)
    current = reached(user, integration_id)
    return update(rt, user, integration_id, sync_enabled=current.sync_enabled,
                  accept_automatically=current.accept_automatically, public_key=public_key,
                  secret_key=secret_key)


def list_for_account(rt: Runtime, user: ActingUser) -> list[Integration]:
    """The integrations of the user's account."""
    user.require(MANAGE_INTEGRATIONS)
    now = rt.clock.now()
    return [view(r, now) for r in integration_store.integrations_of_account(user.account_id)]


def get(rt: Runtime, user: ActingUser, integration_id: str) -> Integration:
    """One integration of the user's account, as its pages show it."""
    user.require(MANAGE_INTEGRATIONS)
    return view(reached(user, integration_id), rt.clock.now())


def start_manual_sync(rt: Runtime, user: ActingUser, integration_id: str) -> Integration:
    """Start a sync now, unless a manual sync started in the last six hours (TooManyRequests).

    The claim is tried first (its condition checks the account, sync being on, the lock and the
    lease); only when it fails is the integration read, to say why."""
    user.require(MANAGE_INTEGRATIONS)
    account_id = user.account_id
    now = rt.clock.now()
    token = rt.random.token(16)
    try:
        claimed = integration_store.claim_manual_sync(
            integration_id, account_id=account_id, now=now,
            lock_hours=lifecycle.MANUAL_LOCK_HOURS, lease_token=token,
            lease_until=now + lifecycle.LEASE, run_id=rt.random.hex(8))
    except ConcurrentChange as exc:
        raise _refusal(of_account(account_id, integration_id), now) from exc
    logs.event("manual_sync_started", integration_id=integration_id, actor=user.name,
               run_id=claimed.run_id)
    scheduled.dispatch(rt, scheduled.Claim(integration_id, token, "manual"))
    return view(of_account(account_id, integration_id), rt.clock.now())


def _refusal(record: IntegrationRecord, now: dt.datetime) -> InvalidInput | TooManyRequests:
    """Why a manual sync did not start: sync is off, or the lock or a running sync."""
    if not record.sync_enabled:
        return InvalidInput("Turn on \"Sync SaaS Protection backup information\" first.")
    return _why_not(record, now)


def _why_not(record: IntegrationRecord, now: dt.datetime) -> TooManyRequests:
    available = lifecycle.manual_sync_available_at(record, now)
    if available is not None:
        return ManualSyncUnavailable(
            "A manual sync already ran in the last six hours. The next one is available at "
            f"{available:%Y-%m-%d %H:%M} UTC.",
            retry_after=max(1, math.ceil((available - now).total_seconds())),
            available_at=available)
    if lifecycle.leased(record, now) and record.lease_until is not None:
        return ManualSyncUnavailable(
            "A sync is running now. Start a manual sync when it has finished.",
            retry_after=max(1, math.ceil((record.lease_until - now).total_seconds())),
            available_at=record.lease_until)
    if not record.sync_enabled:
        return TooManyRequests("Sync is turned off for this integration.", retry_after=60)
    return TooManyRequests("Another change happened at the same time. Try again.", retry_after=1)


def sync_logs(rt: Runtime, user: ActingUser, integration_id: str) -> list[SyncLog]:
    """Every recent sync of the integration, newest first."""
    user.require(MANAGE_INTEGRATIONS)
    reached(user, integration_id)
    return log_store.logs_of_integration(integration_id)
