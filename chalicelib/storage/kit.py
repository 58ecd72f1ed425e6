"""What every context's storage repeats: sessions, uniqueness markers and audit trails.

Each pattern is written once here and parameterised by the context's own model, so each context
keeps its own tables (and can be deployed alone) while the reads and writes are the same code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.base import is_condition_failure, translated, ttl_after

Session = TypeVar("Session")
User = TypeVar("User")

# --------------------------------------------------------------------------------------------------
# Sessions


class SessionModel(Model):
    """The attributes of every context's session table (each context declares its own table)."""

    session_key = UnicodeAttribute(hash_key=True)  # sha256 of the cookie token
    user_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_ttl = NumberAttribute()
    by_user: ClassVar[GlobalSecondaryIndex[Any]]


class ModuleSessionModel(SessionModel):
    """A module's session: it may have been started by Log In with Hub."""

    hub_sid = UnicodeAttribute(null=True)  # the hub session that started it (hub logout ends it)
    by_hub_sid: ClassVar[GlobalSecondaryIndex[Any]]


class Sessions(Generic[Session, User]):
    """One context's session table, and how it finds a session's user (what `resume` reads).

    Plain records carry the model's attributes of the same names (all but `expires_ttl`).
    """

    def __init__(self, model: type[SessionModel], record: Callable[..., Session],
                 user: Callable[[str], User | None]) -> None:
        self._model = model
        self._record = record
        self._user = user
        self._fields = [name for name in model.get_attributes() if name != "expires_ttl"]

    def _values(self, session: Session) -> dict[str, Any]:
        return {name: getattr(session, name) for name in self._fields}

    def create_session(self, session: Session) -> None:
        """Store a new session; an id that exists already is a ConcurrentChange (never reused)."""
        values = self._values(session)
        model = self._model(expires_ttl=ttl_after(values["expires_at"], 0), **values)
        try:
            with translated():
                model.save(condition=self._model.session_key.does_not_exist())
        except PutError as exc:
            if is_condition_failure(exc):
                raise ConcurrentChange("session id collision") from exc
            raise

    def get_session(self, session_key: str) -> Session | None:
        try:
            with translated():
                found = self._model.get(session_key)
        except self._model.DoesNotExist:
            return None
        return self._record(**{name: getattr(found, name) for name in self._fields})

    def get_user(self, user_id: str) -> User | None:
        """The session's user, as the context's user storage reads it."""
        return self._user(user_id)

    def touch_session(self, session_key: str, now: dt.datetime) -> None:
        """Record the session as seen now; a session deleted meanwhile stays deleted."""
        try:
            with translated():
                self._model(session_key).update(
                    actions=[self._model.last_seen_at.set(now)],
                    condition=self._model.session_key.exists(),
                )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise

    def delete_session(self, session_key: str) -> None:
        try:
            with translated():
                self._model(session_key).delete()
        except DeleteError:
            pass

    def delete_sessions_of_user(self, user_id: str, keep: str = "") -> int:
        """End every session of a user but `keep` at once (one index query, one batch delete)."""
        with translated():
            keys = [m.session_key for m in self._model.by_user.query(user_id)
                    if m.session_key != keep]
            self._delete_all(keys)
        return len(keys)

    def _delete_all(self, keys: list[str]) -> None:
        with self._model.batch_write() as batch:
            for key in keys:
                batch.delete(self._model(key))


class ModuleSessions(Sessions[Session, User]):
    """A module's session table: sessions also end with the hub session that started them."""

    def __init__(self, model: type[ModuleSessionModel], record: Callable[..., Session],
                 user: Callable[[str], User | None]) -> None:
        super().__init__(model, record, user)
        self._module_model = model

    def _values(self, session: Session) -> dict[str, Any]:
        values = super()._values(session)
        values["hub_sid"] = values["hub_sid"] or None  # the index takes no empty keys
        return values

    def delete_sessions_of_hub_session(self, hub_sid: str) -> int:
        """End the sessions one hub session started (the user logged out of the hub)."""
        with translated():
            keys = [m.session_key for m in self._module_model.by_hub_sid.query(hub_sid)]
            self._delete_all(keys)
        return len(keys)


# --------------------------------------------------------------------------------------------------
# Uniqueness markers


class UniqueModel(Model):
    """A uniqueness marker: one item per unique value, naming the record that holds it."""

    key = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


class UniqueMarkers:
    """One context's markers, written in the same transaction as the record they protect, so
    uniqueness never depends on a read before the write."""

    def __init__(self, model: type[UniqueModel]) -> None:
        self._model = model

    def owner(self, key: str) -> str | None:
        """Who holds the marker (a consistent read), or None when nobody does."""
        try:
            with translated():
                return str(self._model.get(key, consistent_read=True).owner_id)
        except self._model.DoesNotExist:
            return None

    def claim(self, tx: TransactWrite, key: str, owner_id: str) -> None:
        """Write the marker in `tx`, on the condition that nobody holds it yet."""
        tx.save(self._model(key, owner_id=owner_id), condition=self._model.key.does_not_exist())

    def release(self, tx: TransactWrite, key: str, owner_id: str | None = None) -> None:
        """Delete the marker in `tx` (only if `owner_id` still holds it, when one is named)."""
        condition = self._model.owner_id == owner_id if owner_id is not None else None
        tx.delete(self._model(key), condition=condition)


# --------------------------------------------------------------------------------------------------
# Audit trails


class AuditModel(Model):
    """The attributes of an audit trail entry; each context declares its table and owner key."""

    entry_key = UnicodeAttribute(range_key=True)  # ISO time + "#" + random: newest sorts last
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    detail = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()


@dataclass
class AuditEntry:
    actor: str
    action: str
    detail: str
    at: dt.datetime


class AuditTrail:
    """One context's audit trail: entries per owner (a company, an account), newest last in key
    order."""

    def __init__(self, model: type[AuditModel]) -> None:
        self._model = model

    def add_audit(self, owner_id: str, entry_key: str, actor: str, action: str, detail: str,
                  at: dt.datetime) -> None:
        with translated():
            self._model(owner_id, entry_key, actor=actor, action=action, detail=detail,
                        at=at).save()

    def audit_of(self, owner_id: str, limit: int = 50) -> list[AuditEntry]:
        """The owner's newest entries, newest first (one Query)."""
        with translated():
            found = self._model.query(owner_id, scan_index_forward=False, limit=limit)
            return [AuditEntry(m.actor, m.action, m.detail, m.at) for m in found]
