"""Hub storage: companies, users, uniqueness markers, sessions and the hub audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import AlreadyExists, ConcurrentChange, NotFound, StorageUnavailable
from chalicelib.storage import tables
from chalicelib.storage.base import (
    is_condition_failure,
    transaction_outcome,
    translated,
    ttl_after,
)

# --------------------------------------------------------------------------------------------------
# Models


class CompanyByName(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_name"
        projection = AllProjection()

    name_key = UnicodeAttribute(hash_key=True)


class HubCompanyModel(Model):
    class Meta:
        logical_name = "hub_companies"
        table_name = "hub_companies"

    company_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # module name -> {"tenant_id": ..., "linked_at": iso, "launch_url": ...}
    linked_modules = MapAttribute(default=dict)  # type: ignore[var-annotated]
    by_name = CompanyByName()


class UserByLogin(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_login"
        projection = AllProjection()

    login_key = UnicodeAttribute(hash_key=True)


class UserByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    username = UnicodeAttribute(range_key=True)


class HubUserModel(Model):
    class Meta:
        logical_name = "hub_users"
        table_name = "hub_users"

    user_id = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    company_name = UnicodeAttribute()
    username = UnicodeAttribute()
    login_key = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    totp_secret = UnicodeAttribute(null=True)  # encrypted
    totp_pending = UnicodeAttribute(null=True)  # encrypted, during enrollment
    totp_last_step = NumberAttribute(default=0)
    failures = NumberAttribute(default=0)
    last_failure_at = UTCDateTimeAttribute(null=True)
    modules = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    created_at = UTCDateTimeAttribute()
    last_login_at = UTCDateTimeAttribute(null=True)
    by_login = UserByLogin()
    by_company = UserByCompany()


class HubUniqueModel(Model):
    """Uniqueness markers written in the same transaction as the record they protect."""

    class Meta:
        logical_name = "hub_unique"
        table_name = "hub_unique"

    key = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


class SessionByUser(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)


class HubSessionModel(Model):
    class Meta:
        logical_name = "hub_sessions"
        table_name = "hub_sessions"
        ttl_attribute = "expires_ttl"

    session_key = UnicodeAttribute(hash_key=True)  # sha256 of the cookie token
    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_ttl = NumberAttribute()
    by_user = SessionByUser()


class HubAuditModel(Model):
    class Meta:
        logical_name = "hub_audit"
        table_name = "hub_audit"

    company_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # iso time + random, newest last
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    detail = UnicodeAttribute(default="")
    at = UTCDateTimeAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records handed to the domain


@dataclass
class HubCompany:
    company_id: str
    name: str
    created_at: dt.datetime
    linked_modules: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class HubUser:
    user_id: str
    company_id: str
    company_name: str
    username: str
    email: str
    name: str
    role: str
    status: str
    password_hash: str
    created_at: dt.datetime
    totp_secret: str | None = None
    totp_pending: str | None = None
    totp_last_step: int = 0
    failures: int = 0
    last_failure_at: dt.datetime | None = None
    modules: list[str] = field(default_factory=list)
    last_login_at: dt.datetime | None = None


@dataclass
class HubSession:
    session_key: str
    user_id: str
    company_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


@dataclass
class AuditEntry:
    actor: str
    action: str
    detail: str
    at: dt.datetime


def _company(m: HubCompanyModel) -> HubCompany:
    return HubCompany(
        company_id=m.company_id,
        name=m.name,
        created_at=m.created_at,
        linked_modules=dict(m.linked_modules.as_dict() if m.linked_modules else {}),
    )


_USER_FIELDS = [f for f in HubUser.__dataclass_fields__]


def _user(m: HubUserModel) -> HubUser:
    values = {name: getattr(m, name) for name in _USER_FIELDS}
    values["modules"] = list(m.modules or [])
    values["totp_last_step"] = int(m.totp_last_step or 0)
    values["failures"] = int(m.failures or 0)
    return HubUser(**values)


def _session(m: HubSessionModel) -> HubSession:
    return HubSession(
        session_key=m.session_key,
        user_id=m.user_id,
        company_id=m.company_id,
        created_at=m.created_at,
        last_seen_at=m.last_seen_at,
        expires_at=m.expires_at,
    )


# --------------------------------------------------------------------------------------------------
# Companies and users


def create_company(company: HubCompany, name_key: str) -> None:
    """Company and its name marker in one transaction; a taken name raises AlreadyExists."""
    model = HubCompanyModel(
        company.company_id,
        name=company.name,
        name_key=name_key,
        created_at=company.created_at,
        linked_modules=company.linked_modules,
    )
    marker = HubUniqueModel(f"company#{name_key}", owner_id=company.company_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.save(marker, condition=HubUniqueModel.key.does_not_exist())
            tx.save(model, condition=HubCompanyModel.company_id.does_not_exist())
    except TransactWriteError as exc:
        taken = AlreadyExists(f"A company named {company.name!r} already exists.")
        _raise_for_cancelled(exc, taken)


def _raise_for_cancelled(exc: TransactWriteError, taken: AlreadyExists) -> NoReturn:
    """A failed uniqueness condition is `taken`; a conflicting transaction is a retryable change."""
    outcome = transaction_outcome(exc)
    if outcome == "condition":
        raise taken from exc
    if outcome == "conflict":
        raise ConcurrentChange() from exc
    if outcome == "unavailable":
        raise StorageUnavailable() from exc
    raise exc


def company_by_name_key(name_key: str) -> HubCompany | None:
    with translated():
        for m in HubCompanyModel.by_name.query(name_key, limit=1):
            return _company(m)
    return None


def get_company(company_id: str) -> HubCompany:
    try:
        with translated():
            return _company(HubCompanyModel.get(company_id))
    except HubCompanyModel.DoesNotExist as exc:
        raise NotFound("No such company.") from exc


def set_company_module(company_id: str, module: str, link: dict[str, Any] | None) -> None:
    """Link (or unlink, with None) a module tenant to the hub company."""
    with translated():
        model = HubCompanyModel(company_id)
        action = (
            HubCompanyModel.linked_modules[module].set(link)  # type: ignore[index]
            if link is not None
            else HubCompanyModel.linked_modules[module].remove()  # type: ignore[index]
        )
        try:
            model.update(actions=[action], condition=HubCompanyModel.company_id.exists())
        except UpdateError as exc:
            if is_condition_failure(exc):
                raise NotFound("No such company.") from exc
            raise


def create_user(user: HubUser, login_key: str) -> None:
    """User and its login marker in one transaction; a taken username raises AlreadyExists."""
    model = HubUserModel(user.user_id, login_key=login_key)
    for name in _USER_FIELDS:
        setattr(model, name, getattr(user, name))
    marker = HubUniqueModel(f"login#{login_key}", owner_id=user.user_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.save(marker, condition=HubUniqueModel.key.does_not_exist())
            tx.save(model, condition=HubUserModel.user_id.does_not_exist())
    except TransactWriteError as exc:
        taken = AlreadyExists(f"The username {user.username!r} is already taken.")
        _raise_for_cancelled(exc, taken)


def user_by_login(login_key: str) -> HubUser | None:
    with translated():
        for m in HubUserModel.by_login.query(login_key, limit=1):
            return _user(m)
    return None


def get_user(user_id: str) -> HubUser:
    try:
        with translated():
            return _user(HubUserModel.get(user_id))
    except HubUserModel.DoesNotExist as exc:
        raise NotFound("No such user.") from exc


def users_of_company(company_id: str) -> Iterator[HubUser]:
    with translated():
        for m in HubUserModel.by_company.query(company_id):
            yield _user(m)


def record_login_failure(user_id: str, now: dt.datetime) -> HubUser:
    """Atomically count one more consecutive failure (the lock is derived from the count)."""
    with translated():
        model = HubUserModel(user_id)
        model.update(
            actions=[HubUserModel.failures.add(1), HubUserModel.last_failure_at.set(now)],
            condition=HubUserModel.user_id.exists(),
        )
        return _user(model)


def record_password_ok(user_id: str, pending_totp: str | None) -> None:
    """The password step passed; store a pending enrollment secret if one was made."""
    actions: list[Action] = []
    if pending_totp is not None:
        actions.append(HubUserModel.totp_pending.set(pending_totp))
    if actions:
        with translated():
            HubUserModel(user_id).update(actions=actions, condition=HubUserModel.user_id.exists())


def accept_totp_step(
    user_id: str, step: int, now: dt.datetime, enroll_secret: str | None = None
) -> bool:
    """Record a TOTP step as used, only if it is newer than the last accepted one (no replay).

    With `enroll_secret`, the pending secret becomes the user's secret in the same write, on the
    condition that it is still the pending one. Returns False when the condition failed.
    """
    actions: list[Action] = [
        HubUserModel.totp_last_step.set(step),
        HubUserModel.failures.set(0),
        HubUserModel.last_login_at.set(now),
    ]
    condition = HubUserModel.totp_last_step.does_not_exist() | (
        HubUserModel.totp_last_step < step
    )
    if enroll_secret is not None:
        actions += [HubUserModel.totp_secret.set(enroll_secret), HubUserModel.totp_pending.remove()]
        condition = condition & (HubUserModel.totp_pending == enroll_secret)
    try:
        with translated():
            HubUserModel(user_id).update(
                actions=actions, condition=condition & HubUserModel.user_id.exists()
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def update_user(user_id: str, **changes: Any) -> HubUser:
    """Set plain fields (status, role, modules, MFA reset...). None removes an attribute."""
    actions: list[Action] = []
    for name, value in changes.items():
        attr = getattr(HubUserModel, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    model = HubUserModel(user_id)
    try:
        with translated():
            model.update(actions=actions, condition=HubUserModel.user_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such user.") from exc
        raise
    return _user(model)


# --------------------------------------------------------------------------------------------------
# Sessions


def create_session(session: HubSession) -> None:
    model = HubSessionModel(
        session.session_key,
        user_id=session.user_id,
        company_id=session.company_id,
        created_at=session.created_at,
        last_seen_at=session.last_seen_at,
        expires_at=session.expires_at,
        expires_ttl=ttl_after(session.expires_at, 0),
    )
    try:
        with translated():
            model.save(condition=HubSessionModel.session_key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("session id collision") from exc
        raise


def get_session(session_key: str) -> HubSession | None:
    try:
        with translated():
            return _session(HubSessionModel.get(session_key))
    except HubSessionModel.DoesNotExist:
        return None


def touch_session(session_key: str, now: dt.datetime) -> None:
    with translated():
        try:
            HubSessionModel(session_key).update(
                actions=[HubSessionModel.last_seen_at.set(now)],
                condition=HubSessionModel.session_key.exists(),
            )
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise


def delete_session(session_key: str) -> None:
    with translated():
        try:
            HubSessionModel(session_key).delete()
        except DeleteError:
            pass


def delete_sessions_of_user(user_id: str) -> int:
    """End every session of a user (deactivation, MFA reset); returns how many ended."""
    count = 0
    with translated():
        keys = [m.session_key for m in HubSessionModel.by_user.query(user_id)]
        with HubSessionModel.batch_write() as batch:
            for key in keys:
                batch.delete(HubSessionModel(key))
                count += 1
    return count


# --------------------------------------------------------------------------------------------------
# Audit


def add_audit(company_id: str, entry_key: str, actor: str, action: str, detail: str,
              at: dt.datetime) -> None:
    with translated():
        HubAuditModel(
            company_id, entry_key, actor=actor, action=action, detail=detail, at=at
        ).save()


def audit_of_company(company_id: str, limit: int = 50) -> list[AuditEntry]:
    with translated():
        return [
            AuditEntry(actor=m.actor, action=m.action, detail=m.detail, at=m.at)
            for m in HubAuditModel.query(company_id, scan_index_forward=False, limit=limit)
        ]
