"""Partner Portal users: unique by username and by email per company (markers), their login state
and their status, kept in step with the company's Security Admin roster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, ConcurrentChange, LastSecurityAdmin, NotFound
from chalicelib.storage import attempts
from chalicelib.storage.attempts import AttemptGate
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal.companies import PortalCompanyModel
from chalicelib.storage.portal.markers import portal_markers
from chalicelib.storage.transactions import Transaction, write_transaction


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


_USER_FIELDS = list(PortalUser.__dataclass_fields__)


def user_from(m: PortalUserModel) -> PortalUser:
    """The user an item holds (for reads made elsewhere, e.g. a page's batch read)."""
    return _user(m)


def _user(m: PortalUserModel) -> PortalUser:
    values = {name: getattr(m, name) for name in _USER_FIELDS}
    values["failures"] = int(m.failures or 0)
    return PortalUser(**values)


def add_new_user(tx: Transaction, user: PortalUser, username_key: str, email_key: str) -> None:
    """Write a new user and its two markers in `tx` (each on the condition that it is new)."""
    model = PortalUserModel(user.user_id, username_key=username_key, email_key=email_key)
    for name in _USER_FIELDS:
        setattr(model, name, getattr(user, name))
    portal_markers.claim(tx, f"username#{username_key}", user.user_id)
    portal_markers.claim(tx, f"email#{user.company_id}#{email_key}", user.user_id)
    tx.save(model, condition=PortalUserModel.user_id.does_not_exist())


def create_user(user: PortalUser, username_key: str, email_key: str,
                *, security_admin: bool = False) -> None:
    """User with its username marker (global) and email marker (per company), in one transaction;
    an active Security Admin joins the company's roster in it too."""

    def write(tx: Transaction) -> None:
        add_new_user(tx, user, username_key, email_key)
        if security_admin:
            tx.update(PortalCompanyModel(user.company_id),
                      actions=[PortalCompanyModel.security_admins.add({user.user_id})],
                      condition=PortalCompanyModel.company_id.exists())

    if write_transaction(write):
        raise AlreadyExists(
            "That username is taken, or that email already has an account in this company.")


# The key reads and updates target when an identifier names no account: they find nothing (or fail
# on their condition), so an unknown identifier costs the same DynamoDB calls as a known one.
NO_SUCH_USER = "-"


def user_id_by_username_key(username_key: str) -> str | None:
    return portal_markers.owner(f"username#{username_key}")


def user_by_username_key(username_key: str) -> PortalUser | None:
    """The account with this username: the marker read, then the user read (a read that finds
    nothing when the marker has no owner, so both cases cost two reads)."""
    user_id = user_id_by_username_key(username_key)
    try:
        with translated():
            found = PortalUserModel.get(user_id or NO_SUCH_USER)
    except PortalUserModel.DoesNotExist:
        return None
    return _user(found) if user_id else None


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


def take_login_attempt(user_id: str | None, gate: AttemptGate) -> bool:
    """Count one password attempt on the account, only while it is under its limit and outside
    its delay; False when refused (or no such account). Called before the password is verified."""
    m = PortalUserModel
    condition = m.user_id.exists() & attempts.is_open(m.failures, m.last_failure_at, gate)
    return _take(user_id or NO_SUCH_USER, attempts.take(m.failures, m.last_failure_at, gate),
                 condition)


def _take(user_id: str, actions: list[Action], condition: Condition) -> bool:
    return attempts.taken(PortalUserModel(user_id), actions, condition)


def record_login_failure(user_id: str, now: dt.datetime) -> None:
    """Atomically count one more consecutive failure (the lock is derived from the count)."""
    with translated():
        PortalUserModel(user_id).update(
            actions=[PortalUserModel.failures.add(1), PortalUserModel.last_failure_at.set(now)],
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

    def write(tx: Transaction) -> None:
        tx.update(PortalUserModel(user.user_id), actions=set_status,
                  condition=PortalUserModel.status == user.status)
        if actions:
            tx.update(PortalCompanyModel(user.company_id), actions=actions,
                      condition=company_condition)
        elif needs_another_admin:
            tx.condition_check(PortalCompanyModel, user.company_id, condition=company_condition)

    failed = write_transaction(write)
    now = get_user(user.user_id)
    if failed and (0 in failed or now.status != user.status):
        raise ConcurrentChange()  # someone changed the user first (a duplicate event, a person)
    if failed:  # only the company's condition: the roster would be left empty
        raise LastSecurityAdmin()
    return now
