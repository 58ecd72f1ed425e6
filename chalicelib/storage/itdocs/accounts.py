"""IT Docs accounts, each linked to at most one hub company (a marker keeps it one per company)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BooleanAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists, NotFound
from chalicelib.storage.base import filled, is_condition_failure, record_of, translated
from chalicelib.storage.itdocs.markers import itdocs_markers
from chalicelib.storage.transactions import Transaction, write_transaction


class ItDocsAccountModel(Model):
    class Meta:
        logical_name = "itdocs_accounts"
        table_name = "itdocs_accounts"

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    default_role = UnicodeAttribute()
    jit_enabled = BooleanAttribute(default=False)
    hub_issuer = UnicodeAttribute(null=True)
    hub_company_id = UnicodeAttribute(null=True)
    hub_company_name = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()


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


_ACCOUNT_FIELDS = list(Account.__dataclass_fields__)


def hub_company_marker(issuer: str, hub_company_id: str) -> str:
    return f"hubcompany#{issuer}#{hub_company_id}"


def create_account(account: Account) -> None:
    """An account, with its hub-company marker when it is linked (one per hub company)."""
    model = filled(ItDocsAccountModel(account.account_id), account, _ACCOUNT_FIELDS)

    def write(tx: Transaction) -> None:
        if account.hub_issuer and account.hub_company_id:
            itdocs_markers.claim(tx, hub_company_marker(account.hub_issuer,
                                                        account.hub_company_id),
                                 account.account_id)
        tx.save(model, condition=ItDocsAccountModel.account_id.does_not_exist())

    if write_transaction(write):
        raise AlreadyExists("That hub company is already linked to an IT Docs account.")


def account_from(model: ItDocsAccountModel) -> Account:
    """The plain account of a stored item."""
    return record_of(Account, _ACCOUNT_FIELDS, model)


def get_account(account_id: str) -> Account:
    try:
        with translated():
            return account_from(ItDocsAccountModel.get(account_id))
    except ItDocsAccountModel.DoesNotExist as exc:
        raise NotFound("No such IT Docs account.") from exc


def account_for_hub_company(issuer: str, hub_company_id: str) -> Account | None:
    owner = itdocs_markers.owner(hub_company_marker(issuer, hub_company_id))
    return get_account(owner) if owner else None


def link_account(account_id: str, issuer: str, hub_company_id: str, hub_company_name: str) -> None:
    """Link an unlinked account to a hub company (the marker keeps it one account per company);
    a new link starts with automatic user creation off."""
    model = ItDocsAccountModel(account_id)

    def write(tx: Transaction) -> None:
        itdocs_markers.claim(tx, hub_company_marker(issuer, hub_company_id), account_id)
        tx.update(model, actions=[
            ItDocsAccountModel.hub_issuer.set(issuer),
            ItDocsAccountModel.hub_company_id.set(hub_company_id),
            ItDocsAccountModel.hub_company_name.set(hub_company_name),
            ItDocsAccountModel.jit_enabled.set(False),
        ], condition=ItDocsAccountModel.account_id.exists()
            & ItDocsAccountModel.hub_company_id.does_not_exist())

    if write_transaction(write):
        raise AlreadyExists(
            "This account is already linked, or that hub company is linked to another account.")


def unlink_account(account: Account) -> None:
    if not account.linked_to_hub:
        return

    def write(tx: Transaction) -> None:
        itdocs_markers.release(tx, hub_company_marker(account.hub_issuer or "",
                                                      account.hub_company_id or ""))
        tx.update(ItDocsAccountModel(account.account_id), actions=[
            ItDocsAccountModel.hub_issuer.remove(),
            ItDocsAccountModel.hub_company_id.remove(),
            ItDocsAccountModel.hub_company_name.remove(),
        ], condition=ItDocsAccountModel.account_id.exists())

    if write_transaction(write):
        raise NotFound("No such IT Docs account.")


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
