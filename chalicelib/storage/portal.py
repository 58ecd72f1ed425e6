"""Partner Portal storage: partner companies, users, uniqueness markers and sessions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import AlreadyExists, ConcurrentChange, LastSecurityAdmin, NotFound
from chalicelib.storage import tables
from chalicelib.storage.base import (
    is_condition_failure,
    transaction_outcome,
    translated,
    ttl_after,
)

# --------------------------------------------------------------------------------------------------
# Models


class PortalCompanyModel(Model):
    class Meta:
        logical_name = "portal_companies"
        table_name = "portal_companies"

    company_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # Weighted REST API budget per hour for the whole partner (every key shares it).
    api_hourly_budget = NumberAttribute()
    # Ids of the active Security Admins, kept in step with their status in the same transaction,
    # so that "never remove the last one" is a condition, not a read followed by a write.
    security_admins = UnicodeSetAttribute(null=True)


class PortalUserByEmail(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_email"
        projection = AllProjection()

    email_key = UnicodeAttribute(hash_key=True)


class PortalUserByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)
    username_key = UnicodeAttribute(range_key=True)


class PortalUserModel(Model):
    class Meta:
        logical_name = "portal_users"
        table_name = "portal_users"

    user_id = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    company_name = UnicodeAttribute()
    username = UnicodeAttribute()
    username_key = UnicodeAttribute()
    email = UnicodeAttribute()
    email_key = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    password_hash = UnicodeAttribute(null=True)  # users who only sign in with the hub have none
    failures = NumberAttribute(default=0)
    last_failure_at = UTCDateTimeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_login_at = UTCDateTimeAttribute(null=True)
    by_email = PortalUserByEmail()
    by_company = PortalUserByCompany()


class PortalUniqueModel(Model):
    """Uniqueness markers (company name, username, email per company) written with their record."""

    class Meta:
        logical_name = "portal_unique"
        table_name = "portal_unique"

    key = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


class PortalSessionByUser(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)


class PortalSessionByHubSid(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Sparse: only sessions started by Log In with Hub (the hub's logout ends them)."""

    class Meta:
        index_name = "by_hub_sid"
        projection = KeysOnlyProjection()

    hub_sid = UnicodeAttribute(hash_key=True)


class PortalSessionModel(Model):
    class Meta:
        logical_name = "portal_sessions"
        table_name = "portal_sessions"
        ttl_attribute = "expires_ttl"

    session_key = UnicodeAttribute(hash_key=True)  # sha256 of the cookie token
    user_id = UnicodeAttribute()
    company_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_seen_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires_ttl = NumberAttribute()
    hub_sid = UnicodeAttribute(null=True)  # the hub session that signed the user in
    by_user = PortalSessionByUser()
    by_hub_sid = PortalSessionByHubSid()


# --------------------------------------------------------------------------------------------------
# Plain records


@dataclass
class PortalCompany:
    company_id: str
    name: str
    created_at: dt.datetime
    api_hourly_budget: int
    security_admins: frozenset[str] | None = None  # None: not recorded yet (older data)


@dataclass
class PortalUser:
    user_id: str
    company_id: str
    company_name: str
    username: str
    email: str
    name: str
    role: str
    status: str
    password_hash: str | None
    created_at: dt.datetime
    failures: int = 0
    last_failure_at: dt.datetime | None = None
    last_login_at: dt.datetime | None = None


@dataclass
class PortalSession:
    session_key: str
    user_id: str
    company_id: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    hub_sid: str | None = None


def _company(m: PortalCompanyModel) -> PortalCompany:
    admins = frozenset(m.security_admins) if m.security_admins is not None else None
    return PortalCompany(m.company_id, m.name, m.created_at, int(m.api_hourly_budget), admins)


_USER_FIELDS = list(PortalUser.__dataclass_fields__)


def _user(m: PortalUserModel) -> PortalUser:
    values = {name: getattr(m, name) for name in _USER_FIELDS}
    values["failures"] = int(m.failures or 0)
    return PortalUser(**values)


def _session(m: PortalSessionModel) -> PortalSession:
    return PortalSession(m.session_key, m.user_id, m.company_id, m.created_at, m.last_seen_at,
                         m.expires_at, m.hub_sid)


# --------------------------------------------------------------------------------------------------
# Companies and users


def create_company(company: PortalCompany, name_key: str) -> None:
    """Company and its name marker in one transaction; a taken name raises AlreadyExists."""
    model = PortalCompanyModel(company.company_id, name=company.name, name_key=name_key,
                               created_at=company.created_at,
                               api_hourly_budget=company.api_hourly_budget)
    marker = PortalUniqueModel(f"company#{name_key}", owner_id=company.company_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.save(marker, condition=PortalUniqueModel.key.does_not_exist())
            tx.save(model, condition=PortalCompanyModel.company_id.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyExists(f"A partner company named {company.name!r} already exists.") from exc


def company_id_by_name_key(name_key: str) -> str | None:
    return _marker_owner(f"company#{name_key}")


def get_company(company_id: str) -> PortalCompany:
    try:
        with translated():
            return _company(PortalCompanyModel.get(company_id))
    except PortalCompanyModel.DoesNotExist as exc:
        raise NotFound("No such partner company.") from exc


def set_company_budget(company_id: str, budget: int) -> None:
    with translated():
        PortalCompanyModel(company_id).update(
            actions=[PortalCompanyModel.api_hourly_budget.set(budget)],
            condition=PortalCompanyModel.company_id.exists(),
        )


def _marker_owner(key: str) -> str | None:
    try:
        with translated():
            return str(PortalUniqueModel.get(key, consistent_read=True).owner_id)
    except PortalUniqueModel.DoesNotExist:
        return None


def create_user(user: PortalUser, username_key: str, email_key: str,
                *, security_admin: bool = False) -> None:
    """User with its username marker (global) and email marker (per company), in one transaction;
    an active Security Admin joins the company's roster in it too."""
    model = PortalUserModel(user.user_id, username_key=username_key, email_key=email_key)
    for name in _USER_FIELDS:
        setattr(model, name, getattr(user, name))
    markers = [
        PortalUniqueModel(f"username#{username_key}", owner_id=user.user_id),
        PortalUniqueModel(f"email#{user.company_id}#{email_key}", owner_id=user.user_id),
    ]
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            for marker in markers:
                tx.save(marker, condition=PortalUniqueModel.key.does_not_exist())
            tx.save(model, condition=PortalUserModel.user_id.does_not_exist())
            if security_admin:
                tx.update(PortalCompanyModel(user.company_id),
                          actions=[PortalCompanyModel.security_admins.add({user.user_id})],
                          condition=PortalCompanyModel.company_id.exists())
    except TransactWriteError as exc:
        raise AlreadyExists(
            "That username is taken, or that email already has an account in this company."
        ) from exc


def user_id_by_username_key(username_key: str) -> str | None:
    return _marker_owner(f"username#{username_key}")


def users_by_email_key(email_key: str, limit: int = 10) -> list[PortalUser]:
    """Every account with this email, across partner companies (one index query)."""
    with translated():
        return [_user(m) for m in PortalUserModel.by_email.query(email_key, limit=limit)]


def get_user(user_id: str) -> PortalUser:
    try:
        with translated():
            return _user(PortalUserModel.get(user_id))
    except PortalUserModel.DoesNotExist as exc:
        raise NotFound("No such user.") from exc


def users_of_company(company_id: str) -> Iterator[PortalUser]:
    with translated():
        for m in PortalUserModel.by_company.query(company_id):
            yield _user(m)


def record_login_failure(user_id: str, now: dt.datetime) -> None:
    """Atomically count one more consecutive failure (the lock is derived from the count)."""
    with translated():
        PortalUserModel(user_id).update(
            actions=[PortalUserModel.failures.add(1), PortalUserModel.last_failure_at.set(now)],
            condition=PortalUserModel.user_id.exists(),
        )


def record_login_success(user_id: str, now: dt.datetime) -> None:
    with translated():
        PortalUserModel(user_id).update(
            actions=[PortalUserModel.failures.set(0), PortalUserModel.last_login_at.set(now)],
            condition=PortalUserModel.user_id.exists(),
        )


def update_user(user_id: str, **changes: Any) -> PortalUser:
    """Set plain fields (status, role, ...). None removes an attribute."""
    actions = []
    for name, value in changes.items():
        attr = getattr(PortalUserModel, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    model = PortalUserModel(user_id)
    try:
        with translated():
            model.update(actions=actions, condition=PortalUserModel.user_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such user.") from exc
        raise
    return _user(model)


def change_status(user: PortalUser, status: str, *, leaves_roster: bool = False,
                  joins_roster: bool = False, needs_another_admin: bool = False) -> PortalUser:
    """Set `user`'s status (conditional on the status they had), moving them off or onto the
    company's Security Admin roster in the same transaction.

    `needs_another_admin`: refuse with LastSecurityAdmin unless another active Security Admin
    remains (the roster keeps someone besides this user). A concurrent status change of the same
    user raises ConcurrentChange.
    """
    roster = PortalCompanyModel.security_admins
    company_condition = PortalCompanyModel.company_id.exists()
    actions: list[Action] = []
    if leaves_roster:
        actions.append(roster.delete({user.user_id}))
        if needs_another_admin:
            company_condition &= roster.contains(user.user_id) & (size(roster) > 1)
    elif needs_another_admin:
        company_condition &= roster.exists()
    if joins_roster:
        actions.append(roster.add({user.user_id}))
    set_status: list[Action] = [PortalUserModel.status.set(status)]
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.update(PortalUserModel(user.user_id), actions=set_status,
                      condition=PortalUserModel.status == user.status)
            if actions:
                tx.update(PortalCompanyModel(user.company_id), actions=actions,
                          condition=company_condition)
            elif needs_another_admin:
                tx.condition_check(PortalCompanyModel, user.company_id,
                                   condition=company_condition)
    except TransactWriteError as exc:
        reasons = getattr(exc, "cancellation_reasons", None) or []
        if len(reasons) > 1 and reasons[1] is not None and reasons[1].code == (
                "ConditionalCheckFailed"):
            raise LastSecurityAdmin() from exc
        if transaction_outcome(exc) in {"condition", "conflict"}:
            raise ConcurrentChange() from exc
        raise
    return get_user(user.user_id)


def start_security_admin_roster(company_id: str, user_ids: set[str]) -> None:
    """Record the roster of a company created before it was kept (once; a race is harmless)."""
    if not user_ids:
        return
    try:
        with translated():
            PortalCompanyModel(company_id).update(
                actions=[PortalCompanyModel.security_admins.set(user_ids)],
                condition=PortalCompanyModel.company_id.exists()
                & PortalCompanyModel.security_admins.does_not_exist())
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise


# --------------------------------------------------------------------------------------------------
# Sessions


def create_session(session: PortalSession) -> None:
    model = PortalSessionModel(
        session.session_key, user_id=session.user_id, company_id=session.company_id,
        created_at=session.created_at, last_seen_at=session.last_seen_at,
        expires_at=session.expires_at, expires_ttl=ttl_after(session.expires_at, 0),
        hub_sid=session.hub_sid or None,
    )
    try:
        with translated():
            model.save(condition=PortalSessionModel.session_key.does_not_exist())
    except PutError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("session id collision") from exc
        raise


def get_session(session_key: str) -> PortalSession | None:
    try:
        with translated():
            return _session(PortalSessionModel.get(session_key))
    except PortalSessionModel.DoesNotExist:
        return None


def touch_session(session_key: str, now: dt.datetime) -> None:
    try:
        with translated():
            PortalSessionModel(session_key).update(
                actions=[PortalSessionModel.last_seen_at.set(now)],
                condition=PortalSessionModel.session_key.exists(),
            )
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise


def delete_session(session_key: str) -> None:
    try:
        with translated():
            PortalSessionModel(session_key).delete()
    except DeleteError:
        pass


def delete_sessions_of_hub_session(hub_sid: str) -> int:
    """End the sessions one hub session started (the user logged out of the hub)."""
    with translated():
        keys = [m.session_key for m in PortalSessionModel.by_hub_sid.query(hub_sid)]
        with PortalSessionModel.batch_write() as batch:
            for key in keys:
                batch.delete(PortalSessionModel(key))
    return len(keys)


def delete_sessions_of_user(user_id: str) -> int:
    """End every session of a user at once (one index query, one batch delete)."""
    with translated():
        keys = [m.session_key for m in PortalSessionModel.by_user.query(user_id)]
        with PortalSessionModel.batch_write() as batch:
            for key in keys:
                batch.delete(PortalSessionModel(key))
    return len(keys)
