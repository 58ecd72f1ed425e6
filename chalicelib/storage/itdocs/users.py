"""IT Docs users: unique by email per account and by hub identity (markers written with them)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import filled, is_condition_failure, record_of, translated
from chalicelib.storage.itdocs.audit import AuditLine, add_line
from chalicelib.storage.itdocs.markers import itdocs_markers
from chalicelib.storage.transactions import Transaction, write_transaction


class ItDocsUserByAccount(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    email_key = UnicodeAttribute(range_key=True)


class ItDocsUserModel(Model):
    class Meta:
        logical_name = "itdocs_users"
        table_name = "itdocs_users"

    user_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    email = UnicodeAttribute()
    email_key = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    status = UnicodeAttribute()
    hub_issuer = UnicodeAttribute(null=True)
    hub_subject = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_login_at = UTCDateTimeAttribute(null=True)
    by_account = ItDocsUserByAccount()


@dataclass
class User:
    user_id: str
    account_id: str
    email: str
    name: str
    role: str
    status: str
    created_at: dt.datetime
    hub_issuer: str | None = None
    hub_subject: str | None = None
    last_login_at: dt.datetime | None = None


_USER_FIELDS = list(User.__dataclass_fields__)


def identity_marker(issuer: str, subject: str) -> str:
    return f"identity#{issuer}#{subject}"


def email_marker(account_id: str, email_key: str) -> str:
    return f"email#{account_id}#{email_key}"


def create_user(user: User, email_key: str) -> None:
    """User with its email marker (per account) and identity marker (if linked), atomically."""
    if write_transaction(lambda tx: add_new_user(tx, user, email_key)):
        raise AlreadyExists("A user with that email or hub identity already exists.")


def add_new_user(tx: Transaction, user: User, email_key: str) -> None:
    """Write a new user in `tx`: its identity marker first (if linked), its email marker, the
    user, each on the condition that it is new."""
    if user.hub_issuer and user.hub_subject:
        itdocs_markers.claim(tx, identity_marker(user.hub_issuer, user.hub_subject), user.user_id)
    itdocs_markers.claim(tx, email_marker(user.account_id, email_key), user.user_id)
    model = filled(ItDocsUserModel(user.user_id, email_key=email_key), user, _USER_FIELDS)
    tx.save(model, condition=ItDocsUserModel.user_id.does_not_exist())


def user_from(model: ItDocsUserModel) -> User:
    """The plain user of a stored item."""
    return record_of(User, _USER_FIELDS, model)


def get_user(user_id: str) -> User:
    try:
        with translated():
            return user_from(ItDocsUserModel.get(user_id))
    except ItDocsUserModel.DoesNotExist as exc:
        raise NotFound("No such user.") from exc


def find_user(user_id: str) -> User | None:
    """The user, or None when there is none (a deleted user's sessions read it so)."""
    try:
        return get_user(user_id)
    except NotFound:
        return None


def user_by_email(account_id: str, email_key: str) -> User | None:
    owner = itdocs_markers.owner(email_marker(account_id, email_key))
    return get_user(owner) if owner else None


def user_by_identity(issuer: str, subject: str) -> User | None:
    owner = itdocs_markers.owner(identity_marker(issuer, subject))
    return get_user(owner) if owner else None


def users_of_account(account_id: str) -> list[User]:
    with translated():
        return [record_of(User, _USER_FIELDS, m)
                for m in ItDocsUserModel.by_account.query(account_id)]


def link_identity(user_id: str, issuer: str, subject: str) -> None:
    """Bind a user to a hub identity, once (a second identity for one user is refused)."""

    def write(tx: Transaction) -> None:
        itdocs_markers.claim(tx, identity_marker(issuer, subject), user_id)
        tx.update(ItDocsUserModel(user_id), actions=[
            ItDocsUserModel.hub_issuer.set(issuer), ItDocsUserModel.hub_subject.set(subject)
        ], condition=ItDocsUserModel.user_id.exists()
            & ItDocsUserModel.hub_subject.does_not_exist())

    if write_transaction(write):
        raise AlreadyExists("This user is already linked to another hub identity.")


def change_status(user_id: str, seen: str, status: str) -> bool:
    """Set the status only while it is still `seen`; False when someone changed it first (the
    caller reads again), so a change is made, and audited, once."""
    try:
        with translated():
            ItDocsUserModel(user_id).update(actions=[ItDocsUserModel.status.set(status)],
                                            condition=ItDocsUserModel.status == seen)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def change_role(target: User, role: str, line: AuditLine) -> User:
    """Set the user's role, while it is still of its account, with the audit entry in the same
    transaction; NotFound when the user is gone."""
    model = ItDocsUserModel(target.user_id)

    def write(tx: Transaction) -> None:
        tx.update(model, actions=[ItDocsUserModel.role.set(role)],
                  condition=ItDocsUserModel.account_id == target.account_id)
        add_line(tx, line)

    if 0 in write_transaction(write):
        raise NotFound("No such user.")
    return dataclasses.replace(target, role=role)


def update_user(user_id: str, **changes: Any) -> User:
    """Set plain fields (role, status, name, last_login_at)."""
    actions = [getattr(ItDocsUserModel, name).set(value) for name, value in changes.items()]
    model = ItDocsUserModel(user_id)
    try:
        with translated():
            model.update(actions=actions, condition=ItDocsUserModel.user_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such user.") from exc
        raise
    return record_of(User, _USER_FIELDS, model)
