"""IT Docs storage: accounts, users and uniqueness markers.

Sessions, API keys and the audit log live in `itdocs_access.py`; organizations and contacts in
`itdocs_docs.py`. Markers (`ItDocsUniqueModel`) are written in
the same transaction as the record they protect, so uniqueness never depends on check-then-write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage import tables
from chalicelib.storage.base import is_condition_failure, translated

# --------------------------------------------------------------------------------------------------
# Models


class ItDocsAccountModel(Model):
    class Meta:
        logical_name = "itdocs_accounts"
        table_name = "itdocs_accounts"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    default_role = UnicodeAttribute()
    jit_enabled = BooleanAttribute(default=True)
    hub_issuer = UnicodeAttribute(null=True)
    hub_company_id = UnicodeAttribute(null=True)
    hub_company_name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


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


class ItDocsUniqueModel(Model):
    """Markers: hub company -> account, hub identity -> user, email per account -> user."""

    class Meta:
        logical_name = "itdocs_unique"
        table_name = "itdocs_unique"

    key = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records


@dataclass
class Account:
    account_id: str
    name: str
    default_role: str
    jit_enabled: bool
    created_at: dt.datetime
    hub_issuer: str | None = None
    hub_company_id: str | None = None
    hub_company_name: str | None = None

    @property
    def linked_to_hub(self) -> bool:
        return bool(self.hub_issuer and self.hub_company_id)


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


_ACCOUNT_FIELDS = list(Account.__dataclass_fields__)
_USER_FIELDS = list(User.__dataclass_fields__)


def _plain(cls: Any, fields: list[str], model: Model) -> Any:
    return cls(**{name: getattr(model, name) for name in fields})


def _filled(model: Model, record: Any, fields: list[str]) -> Model:
    for name in fields:
        setattr(model, name, getattr(record, name))
    return model


def hub_company_marker(issuer: str, hub_company_id: str) -> str:
    return f"hubcompany#{issuer}#{hub_company_id}"


def identity_marker(issuer: str, subject: str) -> str:
    return f"identity#{issuer}#{subject}"


def email_marker(account_id: str, email_key: str) -> str:
    return f"email#{account_id}#{email_key}"


def marker_owner(key: str) -> str | None:
    try:
        with translated():
            return str(ItDocsUniqueModel.get(key, consistent_read=True).owner_id)
    except ItDocsUniqueModel.DoesNotExist:
        return None


# --------------------------------------------------------------------------------------------------
# Accounts


def create_account(account: Account) -> None:
    """An account, with its hub-company marker when it is linked (one per hub company)."""
    model = _filled(ItDocsAccountModel(account.account_id), account, _ACCOUNT_FIELDS)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            if account.hub_issuer and account.hub_company_id:
                marker = ItDocsUniqueModel(
                    hub_company_marker(account.hub_issuer, account.hub_company_id),
                    owner_id=account.account_id)
                tx.save(marker, condition=ItDocsUniqueModel.key.does_not_exist())
            tx.save(model, condition=ItDocsAccountModel.account_id.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyExists("That hub company is already linked to an IT Docs account.") from exc


def get_account(account_id: str) -> Account:
    try:
        with translated():
            return _plain(Account, _ACCOUNT_FIELDS, ItDocsAccountModel.get(account_id))  # type: ignore[no-any-return]
    except ItDocsAccountModel.DoesNotExist as exc:
        raise NotFound("No such IT Docs account.") from exc


def account_for_hub_company(issuer: str, hub_company_id: str) -> Account | None:
    owner = marker_owner(hub_company_marker(issuer, hub_company_id))
    return get_account(owner) if owner else None


def link_account(account_id: str, issuer: str, hub_company_id: str, hub_company_name: str) -> None:
    """Link an unlinked account to a hub company (the marker keeps it one account per company)."""
    marker = ItDocsUniqueModel(hub_company_marker(issuer, hub_company_id), owner_id=account_id)
    model = ItDocsAccountModel(account_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.save(marker, condition=ItDocsUniqueModel.key.does_not_exist())
            tx.update(model, actions=[
                ItDocsAccountModel.hub_issuer.set(issuer),
                ItDocsAccountModel.hub_company_id.set(hub_company_id),
                ItDocsAccountModel.hub_company_name.set(hub_company_name),
            ], condition=ItDocsAccountModel.account_id.exists()
                & ItDocsAccountModel.hub_company_id.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyExists(
            "This account is already linked, or that hub company is linked to another account."
        ) from exc


def unlink_account(account: Account) -> None:
    if not account.linked_to_hub:
        return
    with translated(), TransactWrite(connection=tables.connection()) as tx:
        tx.delete(ItDocsUniqueModel(hub_company_marker(account.hub_issuer or "",
                                                       account.hub_company_id or "")))
        tx.update(ItDocsAccountModel(account.account_id), actions=[
            ItDocsAccountModel.hub_issuer.remove(),
            ItDocsAccountModel.hub_company_id.remove(),
            ItDocsAccountModel.hub_company_name.remove(),
        ], condition=ItDocsAccountModel.account_id.exists())


def update_account(account_id: str, **changes: Any) -> None:
    """Set plain settings (default_role, jit_enabled, name)."""
    actions = [getattr(ItDocsAccountModel, name).set(value) for name, value in changes.items()]
    try:
        with translated():
            ItDocsAccountModel(account_id).update(
                actions=actions, condition=ItDocsAccountModel.account_id.exists())
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise NotFound("No such IT Docs account.") from exc
        raise


# --------------------------------------------------------------------------------------------------
# Users


def create_user(user: User, email_key: str) -> None:
    """User with its email marker (per account) and identity marker (if linked), atomically."""
    model = _filled(ItDocsUserModel(user.user_id, email_key=email_key), user, _USER_FIELDS)
    markers = [ItDocsUniqueModel(email_marker(user.account_id, email_key), owner_id=user.user_id)]
    if user.hub_issuer and user.hub_subject:
        markers.append(ItDocsUniqueModel(identity_marker(user.hub_issuer, user.hub_subject),
                                         owner_id=user.user_id))
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            for marker in markers:
                tx.save(marker, condition=ItDocsUniqueModel.key.does_not_exist())
            tx.save(model, condition=ItDocsUserModel.user_id.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyExists("A user with that email or hub identity already exists.") from exc


def get_user(user_id: str) -> User:
    try:
        with translated():
            return _plain(User, _USER_FIELDS, ItDocsUserModel.get(user_id))  # type: ignore[no-any-return]
    except ItDocsUserModel.DoesNotExist as exc:
        raise NotFound("No such user.") from exc


def user_by_email(account_id: str, email_key: str) -> User | None:
    owner = marker_owner(email_marker(account_id, email_key))
    return get_user(owner) if owner else None


def user_by_identity(issuer: str, subject: str) -> User | None:
    owner = marker_owner(identity_marker(issuer, subject))
    return get_user(owner) if owner else None


def users_of_account(account_id: str) -> list[User]:
    with translated():
        return [_plain(User, _USER_FIELDS, m) for m in ItDocsUserModel.by_account.query(account_id)]


def link_identity(user_id: str, issuer: str, subject: str) -> None:
    """Bind a user to a hub identity, once (a second identity for one user is refused)."""
    marker = ItDocsUniqueModel(identity_marker(issuer, subject), owner_id=user_id)
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            tx.save(marker, condition=ItDocsUniqueModel.key.does_not_exist())
            tx.update(ItDocsUserModel(user_id), actions=[
                ItDocsUserModel.hub_issuer.set(issuer), ItDocsUserModel.hub_subject.set(subject)
            ], condition=ItDocsUserModel.user_id.exists()
                & ItDocsUserModel.hub_subject.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyExists("This user is already linked to another hub identity.") from exc


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
    return _plain(User, _USER_FIELDS, model)  # type: ignore[no-any-return]


