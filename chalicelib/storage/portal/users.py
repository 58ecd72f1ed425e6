"""Partner Portal users: unique by username and by email per company (markers), their login state
and their status, kept in step with the company's Security Admin roster."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, replace
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition, size
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, ConcurrentChange, LastSecurityAdmin, NotFound
from chalicelib.storage import attempts
from chalicelib.storage.attempts import AttemptGate
from chalicelib.storage.base import translated
from chalicelib.storage.portal.companies import PortalCompanyModel
from chalicelib.storage.portal.markers import (
    EmailCopy,
    LoginFields,
    claim_email,
    claim_username,
    copy_fields,
    copy_to_email,
    portal_markers,
    read_username,
)
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
    # Bumped by every status change: a session started under another value is over (absent: 0).
    session_epoch = NumberAttribute(null=True)
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
    session_epoch: int = 0
    username_key: str = ""
    email_key: str = ""  # the key its email's marker is under ("" where not known yet)


_USER_FIELDS = list(PortalUser.__dataclass_fields__)
_WRITTEN_FIELDS = [name for name in _USER_FIELDS
                   if name not in ("session_epoch", "username_key", "email_key")]


def user_from(m: PortalUserModel) -> PortalUser:
    """The user an item holds (for reads made elsewhere, e.g. a page's batch read)."""
    return _user(m)


def _user(m: PortalUserModel) -> PortalUser:
    values = {name: getattr(m, name) for name in _USER_FIELDS}
    values["failures"] = int(m.failures or 0)
    values["session_epoch"] = int(m.session_epoch or 0)
    return PortalUser(**values)


def add_new_user(tx: Transaction, user: PortalUser, username_key: str, email_key: str) -> None:
    """Write a new user and its two markers in `tx` (each on the condition that it is new)."""
    model = PortalUserModel(user.user_id, username_key=username_key, email_key=email_key)
    for name in _WRITTEN_FIELDS:
        setattr(model, name, getattr(user, name))
    claim_username(tx, username_key, login_fields(user))
    claim_email(tx, email_key, email_copy(user))
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
    """The id of the user holding this username (a consistent read of its marker)."""
    return portal_markers.owner(f"username#{username_key}")


@dataclass(frozen=True)
class NamedAccount:
    """The account an identifier names, as a login needs it. `copy_to`: the username whose
    marker was written before it carried the login fields (the login's transaction adds them)."""

    fields: LoginFields
    copy_to: str | None = None


def login_fields(user: PortalUser) -> LoginFields:
    """What a login needs of `user` (what its username's marker carries)."""
    return LoginFields(user_id=user.user_id, company_id=user.company_id, role=user.role,
                       status=user.status, password_hash=user.password_hash,
                       session_epoch=user.session_epoch)


def email_copy(user: PortalUser) -> EmailCopy:
    """What `user`'s email marker carries (see markers.EmailCopy)."""
    return EmailCopy(user_id=user.user_id, company_id=user.company_id, role=user.role,
                     status=user.status, session_epoch=user.session_epoch, email=user.email)


def holds_copy(copy: EmailCopy) -> Condition:
    """The user item still holds what its email's marker carries (the copy was not stale)."""
    m = PortalUserModel
    return (m.user_id.exists() & (m.company_id == copy.company_id) & (m.role == copy.role)
            & (m.status == copy.status) & (m.email == copy.email)
            & epoch_is(copy.session_epoch))


def _copy_login_fields(tx: Transaction, onto: PortalUser) -> None:
    """Write the user's login fields onto the markers `onto` names (its username's, then its
    email's; a blank key: not that one)."""
    if onto.username_key:
        copy_fields(tx, onto.username_key, login_fields(onto))
    if onto.email_key:
        copy_to_email(tx, onto.email_key, email_copy(onto))


def _copies_kept(onto: PortalUser, failed: Set[int], first: int) -> PortalUser:
    """`onto` without the markers whose copy failed (the copies are items `first` on)."""
    username_failed = bool(onto.username_key) and first in failed
    email_failed = bool(onto.email_key) and first + bool(onto.username_key) in failed
    return replace(onto, username_key="" if username_failed else onto.username_key,
                   email_key="" if email_failed else onto.email_key)


def _copy_items(onto: PortalUser, first: int) -> set[int]:
    return set(range(first, first + bool(onto.username_key) + bool(onto.email_key)))


def account_by_username_key(username_key: str) -> NamedAccount | None:
    """The account with this username: one read of its marker, which carries the login fields
    (a marker written before does not: then the user is read too)."""
    marker = read_username(username_key)
    if marker is None:
        return None
    if marker.fields is not None:
        return NamedAccount(marker.fields)
    try:
        return NamedAccount(login_fields(get_user(marker.owner_id)), copy_to=username_key)
    except NotFound:
        return None


def epoch_is(epoch: int) -> Condition:
    """The user item's session epoch is `epoch` (an item without one is at 0)."""
    attr = PortalUserModel.session_epoch
    return (attr == epoch) | attr.does_not_exist() if epoch == 0 else attr == epoch


def holds(fields: LoginFields) -> Condition:
    """The user item still holds these login fields (a login's copy was not stale)."""
    m = PortalUserModel
    hashed = (m.password_hash == fields.password_hash if fields.password_hash
              else m.password_hash.does_not_exist())
    return ((m.company_id == fields.company_id) & (m.role == fields.role)
            & (m.status == fields.status) & hashed & epoch_is(fields.session_epoch))


def refresh_copy(user_id: str) -> None:
    """Write the user's login fields onto their username's marker again (a stale copy was met)."""
    user = get_user(user_id)
    if user.username_key and write_transaction(
            lambda tx: copy_fields(tx, user.username_key, login_fields(user))):
        raise ConcurrentChange()


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
    """Set plain fields (status, role, ...; None removes an attribute), the username marker's
    copy of the login fields kept in step in the same transaction. For setup code and tests:
    a status change that ends sessions is `change_status`."""
    before = get_user(user_id)
    after = replace(before, **{k: v for k, v in changes.items() if k in _USER_FIELDS})
    actions = [getattr(PortalUserModel, name).remove() if value is None
               else getattr(PortalUserModel, name).set(value) for name, value in changes.items()]

    def write(tx: Transaction, onto: PortalUser) -> None:
        tx.update(PortalUserModel(user_id), actions=actions,
                  condition=PortalUserModel.user_id.exists())
        _copy_login_fields(tx, onto)

    # onto the markers the user held before the change
    onto = replace(after, username_key=before.username_key, email_key=before.email_key)
    failed = write_transaction(lambda tx: write(tx, onto))
    if 0 in failed:
        raise NotFound("No such user.")
    if failed:  # a marker is not theirs (never expected): the user's change still stands
        write_transaction(lambda tx: write(tx, _copies_kept(onto, failed, 1)))
    return after


def _roster_change(user: PortalUser, leaves: bool, joins: bool,
                   needs_another_admin: bool) -> tuple[list[Action], Condition]:
    """The company's roster actions for a status change, and the condition they are written on."""
    roster = PortalCompanyModel.security_admins
    condition = PortalCompanyModel.company_id.exists()
    actions: list[Action] = []
    if leaves:
        actions.append(roster.delete({user.user_id}))
        if needs_another_admin:
            condition &= roster.contains(user.user_id) & (size(roster) > 1)
    elif needs_another_admin:
        condition &= roster.exists()
    if joins:
        actions.append(roster.add({user.user_id}))
    return actions, condition


def change_status(user: PortalUser, status: str, *, leaves_roster: bool = False,
                  joins_roster: bool = False, needs_another_admin: bool = False) -> PortalUser:
    """Set `user`'s status and bump their session epoch, which ends every session they have
    (conditional on the status and epoch they had), moving them off or onto the company's
    Security Admin roster and updating their username marker's copy, in one transaction.

    `needs_another_admin`: refuse with LastSecurityAdmin unless another active Security Admin
    remains (the roster keeps someone besides this user). A concurrent status change of the same
    user raises ConcurrentChange: the transaction names the item whose condition failed, so
    nothing is read again.
    """
    actions, company_condition = _roster_change(user, leaves_roster, joins_roster,
                                                needs_another_admin)
    after = replace(user, status=status, session_epoch=user.session_epoch + 1)
    m = PortalUserModel

    def write(tx: Transaction, onto: PortalUser) -> None:
        tx.update(m(user.user_id), actions=[m.status.set(status),
                                            m.session_epoch.set(after.session_epoch)],
                  condition=(m.status == user.status) & epoch_is(user.session_epoch))
        if actions:
            tx.update(PortalCompanyModel(user.company_id), actions=actions,
                      condition=company_condition)
        elif needs_another_admin:
            tx.condition_check(PortalCompanyModel, user.company_id, condition=company_condition)
        _copy_login_fields(tx, onto)

    _status_written(write, after, 2 if bool(actions) or needs_another_admin else 1)
    return after


def _status_written(write: Callable[[Transaction, PortalUser], None], onto: PortalUser,
                    first_copy: int) -> None:
    """Write a status change; a marker that is not the user's (never expected) is left alone
    rather than blocking the change (a login then finds its copy stale and refreshes it; Log In
    with Hub reads the user)."""
    failed = write_transaction(lambda tx: write(tx, onto))
    if 0 in failed:
        raise ConcurrentChange()  # someone changed the user first (a duplicate event, a person)
    if failed and failed <= _copy_items(onto, first_copy):
        _status_written(write, _copies_kept(onto, failed, first_copy), first_copy)
    elif failed:  # the company's condition: the roster would be left empty
        raise LastSecurityAdmin()
