"""Hub users: unique by login (a marker), with their password, TOTP and login-failure state.

Two failure counters, each taken atomically before its guess is evaluated (`storage.attempts`):
`password_failures` for the password step, `failures` for the second factor (wrong codes and denied
pushes). The password step also needs the second factor's counter open, so wrong codes survive a
fresh password step. The login itself takes its attempts and starts its session on the low-level
client (`sign_in`); the same conditions are written here for the other callers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage import attempts
from chalicelib.storage.attempts import AttemptGate
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.hub.audit import Audited, save_audited
from chalicelib.storage.hub.markers import hub_markers
from chalicelib.storage.transactions import Transaction, write_transaction


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


class UserByVerifiedEmail(GlobalSecondaryIndex):  # type: ignore[type-arg]
    """Sparse: only users whose email is verified carry `verified_email_key` (forgot password)."""

    class Meta:
        index_name = "by_verified_email"
        projection = AllProjection()

    verified_email_key = UnicodeAttribute(hash_key=True)


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
    failures = NumberAttribute(default=0)  # second factor
    last_failure_at = UTCDateTimeAttribute(null=True)
    password_failures = NumberAttribute(default=0)
    last_password_failure_at = UTCDateTimeAttribute(null=True)
    modules = ListAttribute(of=UnicodeAttribute, default=list)  # type: ignore[var-annotated]
    # Bumped to end every hub session at once: a session started under another epoch is no session.
    session_epoch = NumberAttribute(default=0)
    # "none": never began a push enrollment, so the login needs no push registration read;
    # "some": may have push devices. Absent (users from before): unknown, the login reads it.
    push_devices = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_login_at = UTCDateTimeAttribute(null=True)
    # `email` is verified when `email_verified`; then `verified_email_key` (its lower case) puts
    # the user in the by_verified_email index. A changed address waits in `pending_email`.
    email_verified = BooleanAttribute(null=True)
    verified_email_key = UnicodeAttribute(null=True)
    pending_email = UnicodeAttribute(null=True)
    verification_hash = UnicodeAttribute(null=True)  # SHA-256 of the live verification token
    verification_expires_at = UTCDateTimeAttribute(null=True)
    invited_at = UTCDateTimeAttribute(null=True)  # set until the invitation is accepted
    invitation_hash = UnicodeAttribute(null=True)  # SHA-256 of the live invitation token
    invitation_expires_at = UTCDateTimeAttribute(null=True)
    by_login = UserByLogin()
    by_company = UserByCompany()
    by_verified_email = UserByVerifiedEmail()


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
    password_failures: int = 0
    last_password_failure_at: dt.datetime | None = None
    email_verified: bool = False
    pending_email: str | None = None
    verification_hash: str | None = None
    verification_expires_at: dt.datetime | None = None
    invited_at: dt.datetime | None = None
    invitation_hash: str | None = None
    invitation_expires_at: dt.datetime | None = None
    session_epoch: int = 0
    push_devices: str | None = None


_USER_FIELDS = [f for f in HubUser.__dataclass_fields__]


def user_of(m: HubUserModel) -> HubUser:
    """The plain record of a stored user (for reads made together with other items)."""
    values = {name: getattr(m, name) for name in _USER_FIELDS}
    values["modules"] = list(m.modules or [])
    values["totp_last_step"] = int(m.totp_last_step or 0)
    values["failures"] = int(m.failures or 0)
    values["password_failures"] = int(m.password_failures or 0)
    values["session_epoch"] = int(m.session_epoch or 0)
    values["email_verified"] = bool(m.email_verified)
    return HubUser(**values)


def email_key(email: str) -> str:
    """How a verified address is indexed: trimmed, lower case."""
    return email.strip().lower()


def create_user(user: HubUser, login_key: str, audited: Audited | None = None) -> None:
    """User and its login marker (and the audit entry, if given) in one transaction; a taken
    username raises AlreadyExists."""
    model = HubUserModel(user.user_id, login_key=login_key)
    for name in _USER_FIELDS:
        setattr(model, name, getattr(user, name))
    model.verified_email_key = email_key(user.email) if user.email_verified else None

    def write(tx: Transaction) -> None:
        hub_markers.claim(tx, f"login#{login_key}", user.user_id)
        tx.save(model, condition=HubUserModel.user_id.does_not_exist())
        if audited is not None:
            save_audited(tx, audited)

    if write_transaction(write):
        raise AlreadyExists(f"The username {user.username!r} is already taken.")


def user_by_login(login_key: str) -> HubUser | None:
    with translated():
        for m in HubUserModel.by_login.query(login_key, limit=1):
            return user_of(m)
    return None


def get_user(user_id: str) -> HubUser:
    try:
        with translated():
            return user_of(HubUserModel.get(user_id))
    except HubUserModel.DoesNotExist as exc:
        raise NotFound("No such user.") from exc


def users_by_verified_email(email: str, limit: int = 20) -> list[HubUser]:
    """Users (of any company) whose verified email is `email`: one Query of a sparse index."""
    with translated():
        return [user_of(m) for m in HubUserModel.by_verified_email.query(email_key(email),
                                                                      limit=limit)]


def users_of_company(company_id: str) -> Iterator[HubUser]:
    with translated():
        for m in HubUserModel.by_company.query(company_id):
            yield user_of(m)


# The key the password step's update targets when the login names no user: the update fails on its
# condition and writes nothing, so an unknown login costs the same DynamoDB calls as a known one.
NO_SUCH_USER = "-"


def take_password_attempt(user_id: str | None, gate: AttemptGate) -> bool:
    """Count one password attempt, only while both counters are open; False when refused (locked,
    or no such user). Called before the password is verified."""
    m = HubUserModel
    condition = (m.user_id.exists() & attempts.is_open(m.password_failures,
                                                       m.last_password_failure_at, gate)
                 & attempts.is_open(m.failures, m.last_failure_at, gate))
    return _take(user_id or NO_SUCH_USER,
                 attempts.take(m.password_failures, m.last_password_failure_at, gate), condition)


def take_code_attempt(user_id: str, gate: AttemptGate) -> bool:
    """Count one second-factor attempt, only while its counter is open; False when refused.
    Called before the code is checked."""
    m = HubUserModel
    condition = m.user_id.exists() & attempts.is_open(m.failures, m.last_failure_at, gate)
    return _take(user_id, attempts.take(m.failures, m.last_failure_at, gate), condition)


def _take(user_id: str, actions: list[Action], condition: Condition) -> bool:
    return attempts.taken(HubUserModel(user_id), actions, condition)


def mark_push_devices(user_id: str) -> None:
    """The user begins a push enrollment: from now on the login reads their push registration.
    Written before the enrollment credential, so a device never exists while this says "none"."""
    with translated():
        HubUserModel(user_id).update(actions=[HubUserModel.push_devices.set("some")],
                                     condition=HubUserModel.user_id.exists())


def record_password_ok(user_id: str, pending_totp: str | None) -> None:
    """The password step passed: its attempt is no failure (the count restarts), and a pending
    enrollment secret is stored if one was made. The second factor's count stays."""
    actions: list[Action] = [HubUserModel.password_failures.set(0)]
    if pending_totp is not None:
        actions.append(HubUserModel.totp_pending.set(pending_totp))
    with translated():
        HubUserModel(user_id).update(actions=actions, condition=HubUserModel.user_id.exists())


def _change_actions(changes: dict[str, Any]) -> list[Action]:
    """The update of plain fields; None removes an attribute. A new `email` is unverified: it
    leaves the verified-email index."""
    if "email" in changes:
        changes = {**changes, "email_verified": False, "verified_email_key": None}
    actions: list[Action] = []
    for name, value in changes.items():
        attr = getattr(HubUserModel, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    return actions


def update_user_audited(user_id: str, changes: dict[str, Any], audited: Audited,
                        end_sessions: bool = False) -> None:
    """Set plain fields (`update_user`) and write the audit entry of the change in one
    transaction; with `end_sessions`, every hub session of the user ends too (the epoch moves
    on). A user deleted meanwhile is NotFound, and nothing is written."""
    actions = _change_actions(changes)
    if end_sessions:
        actions.append(HubUserModel.session_epoch.add(1))

    def write(tx: Transaction) -> None:
        tx.update(HubUserModel(user_id), actions=actions, condition=HubUserModel.user_id.exists())
        save_audited(tx, audited)

    if write_transaction(write):
        raise NotFound("No such user.")


def update_user(user_id: str, **changes: Any) -> HubUser:
    """Set plain fields (status, role, modules, MFA reset...). None removes an attribute.

    A new `email` is unverified: it leaves the verified-email index."""
    actions = _change_actions(changes)
    model = HubUserModel(user_id)
    try:
        with translated():
            model.update(actions=actions, condition=HubUserModel.user_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such user.") from exc
        raise
    return user_of(model)


def update_where(user_id: str, actions: list[Action], condition: Condition) -> bool:
    """One conditional UpdateItem on a user; False (nothing written) when the user is missing or
    the condition failed."""
    try:
        with translated():
            HubUserModel(user_id).update(actions=actions,
                                         condition=HubUserModel.user_id.exists() & condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def update_where_audited(user_id: str, actions: list[Action], condition: Condition,
                         audited: Audited) -> bool:
    """`update_where` with the change's audit entry in the same transaction (one call); False
    (nothing written) when the user is missing or the condition failed."""
    def write(tx: Transaction) -> None:
        tx.update(HubUserModel(user_id), actions=actions,
                  condition=HubUserModel.user_id.exists() & condition)
        save_audited(tx, audited)

    return not write_transaction(write)
