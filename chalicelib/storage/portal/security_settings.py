"""A partner company's security settings for Log In with Hub (absent means every default).

The hub link (`hub_link_key` = issuer#hub company id) has a sparse index, so the companies
linked to a hub company are one Query. Linking and unlinking also add and remove the company on
the hub link's record (`storage/portal/insights.py`) in the same transaction as the settings and
the audit entry, so a Log In with Hub callback reads the linked companies by key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import ConcurrentChange, InvalidInput
from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.portal import insights as insight_store
from chalicelib.storage.portal.audit import NewAuditEntry, add_audit_in
from chalicelib.storage.transactions import Transaction, write_transaction


class SettingsByHubLink(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_hub_link"
        projection = AllProjection()

    hub_link_key = UnicodeAttribute(hash_key=True)


class PortalSecuritySettingsModel(Model):
    class Meta:
        logical_name = "portal_security_settings"
        table_name = "portal_security_settings"

    company_id = UnicodeAttribute(hash_key=True)
    hub_issuer = UnicodeAttribute(null=True)
    hub_company_id = UnicodeAttribute(null=True)
    hub_company_name = UnicodeAttribute(null=True)
    hub_link_key = UnicodeAttribute(null=True)
    linked_at = UTCDateTimeAttribute(null=True)
    require_hub_login = BooleanAttribute(null=True)
    auto_create_users = BooleanAttribute(null=True)
    default_role = UnicodeAttribute(null=True)
    auto_deactivate_users = BooleanAttribute(null=True)
    exceptions = UnicodeSetAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)
    hub_unlink_mark = UnicodeAttribute(null=True)  # unlinked; the hub has not confirmed it yet
    by_hub_link = SettingsByHubLink()


@dataclass
class SecurityRecord:
    company_id: str
    hub_issuer: str | None = None
    hub_company_id: str | None = None
    hub_company_name: str | None = None
    linked_at: dt.datetime | None = None
    require_hub_login: bool = False
    auto_create_users: bool = False
    default_role: str | None = None
    auto_deactivate_users: bool = False
    exceptions: set[str] = field(default_factory=set)
    updated_at: dt.datetime | None = None
    updated_by: str | None = None
    hub_unlink_pending: bool = False  # Disable Login with Hub waits for the hub to confirm


def hub_link_key(issuer: str, hub_company_id: str) -> str:
    return f"{issuer}#{hub_company_id}"


def record_from(m: PortalSecuritySettingsModel) -> SecurityRecord:
    """The settings an item holds (for reads made elsewhere, e.g. a page's batch read)."""
    return _record(m)


def _record(m: PortalSecuritySettingsModel) -> SecurityRecord:
    return SecurityRecord(
        company_id=m.company_id, hub_issuer=m.hub_issuer, hub_company_id=m.hub_company_id,
        hub_company_name=m.hub_company_name, linked_at=m.linked_at,
        require_hub_login=bool(m.require_hub_login), auto_create_users=bool(m.auto_create_users),
        default_role=m.default_role, auto_deactivate_users=bool(m.auto_deactivate_users),
        exceptions=set(m.exceptions or ()), updated_at=m.updated_at, updated_by=m.updated_by,
        hub_unlink_pending=m.hub_unlink_mark is not None,
    )


def get_settings(company_id: str) -> SecurityRecord:
    """The company's settings (every default when it never changed one)."""
    try:
        with translated():
            return _record(PortalSecuritySettingsModel.get(company_id, consistent_read=True))
    except PortalSecuritySettingsModel.DoesNotExist:
        return SecurityRecord(company_id=company_id)


def local_login_allowed(user_id: str) -> Condition:
    """The settings let this user log in with a password: not linked, Require off, or the user
    is one of its exceptions (the roles always exempt are the caller's to decide)."""
    m = PortalSecuritySettingsModel
    return (m.hub_link_key.does_not_exist() | m.require_hub_login.does_not_exist()
            | (m.require_hub_login == False)  # noqa: E712 (a DynamoDB condition, not a test)
            | m.exceptions.contains(user_id))


def companies_linked_to(issuer: str, hub_company_id: str) -> list[str]:
    """Ids of the partner companies linked to this hub company (one index query)."""
    with translated():
        return sorted(m.company_id for m in PortalSecuritySettingsModel.by_hub_link.query(
            hub_link_key(issuer, hub_company_id)))


def _lost_link() -> ConcurrentChange:
    return ConcurrentChange("Log In with Hub was enabled or disabled meanwhile. Reload and try "
                            "again.")


def _update(company_id: str, actions: list[Any], condition: Any = None) -> SecurityRecord:
    model = PortalSecuritySettingsModel(company_id)
    try:
        with translated():
            model.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise _lost_link() from exc
        raise
    return _record(model)


def _stamp(now: dt.datetime, actor: str) -> list[Any]:
    return [PortalSecuritySettingsModel.updated_at.set(now),
            PortalSecuritySettingsModel.updated_by.set(actor)]


@dataclass(frozen=True)
class HubLink:
    """A partner company's link to a hub company, as Enable or Disable Login with Hub writes it
    (`hub_company_name` and `linked_at` when linking), with its audit entry."""

    company_id: str
    issuer: str
    hub_company_id: str
    now: dt.datetime
    actor: str
    audit: NewAuditEntry | None = None
    hub_company_name: str = ""

    @property
    def key(self) -> str:
        return hub_link_key(self.issuer, self.hub_company_id)


def link_company(company_id: str, *, issuer: str, hub_company_id: str, hub_company_name: str,
                 now: dt.datetime, actor: str, audit: NewAuditEntry | None = None) -> None:
    """Link to a hub company, with its audit entry and the hub link's record, in one transaction;
    ConcurrentChange while linked to another one.

    The record is called complete with the company and every other partner the index lists,
    each checked in the transaction to still be linked (the index may lag an unlink), so a
    record written before it listed its companies is listed by the next link."""
    link = HubLink(company_id, issuer, hub_company_id, now, actor, audit, hub_company_name)
    others = [c for c in companies_linked_to(issuer, hub_company_id) if c != company_id]
    first_check = 2 if audit is None else 3  # the checks follow settings, audit and record
    for _ in range(LINK_ATTEMPTS):
        failed = write_transaction(partial(_link_in, link=link, others=others))
        if not failed:
            return
        if 0 in failed:
            raise _lost_link()
        others = [c for n, c in enumerate(others, first_check) if n not in failed]
    raise _lost_link()


LINK_ATTEMPTS = 3  # a partner unlinked while another links: the link is written without it


def _link_in(tx: Transaction, link: HubLink, others: list[str]) -> None:
    m = PortalSecuritySettingsModel
    tx.update(m(link.company_id), actions=[
        m.hub_issuer.set(link.issuer), m.hub_company_id.set(link.hub_company_id),
        m.hub_company_name.set(link.hub_company_name), m.hub_link_key.set(link.key),
        m.linked_at.set(link.now), *_stamp(link.now, link.actor),
    ], condition=m.hub_link_key.does_not_exist() | (m.hub_link_key == link.key))
    _audit_in(tx, link.audit)
    insight_store.link_in(tx, link.key, link.issuer, link.hub_company_id,
                          {link.company_id, *others}, link.now)
    for other in others:
        tx.condition_check(m, other, condition=m.hub_link_key == link.key)


def _audit_in(tx: Transaction, audit: NewAuditEntry | None) -> None:
    """The change's audit entry in `tx`, when it has one."""
    if audit is not None:
        add_audit_in(tx, audit)


def unlink_company(company_id: str, *, issuer: str, hub_company_id: str, now: dt.datetime,
                   actor: str, audit: NewAuditEntry | None = None) -> None:
    """Remove the link and turn off every setting that needs it (exceptions stay), with its
    audit entry and the company taken off the hub link's record, in one transaction; the
    hub's unlink is left pending for the portal tick. ConcurrentChange when the company is no
    longer linked to that hub company."""
    link = HubLink(company_id, issuer, hub_company_id, now, actor, audit)
    m = PortalSecuritySettingsModel

    def write(tx: Transaction) -> None:
        tx.update(m(company_id), actions=[
            m.hub_issuer.remove(), m.hub_company_id.remove(), m.hub_company_name.remove(),
            m.hub_link_key.remove(), m.linked_at.remove(), m.require_hub_login.set(False),
            m.auto_create_users.set(False), m.auto_deactivate_users.set(False),
            m.hub_unlink_mark.set(insight_store.unlink_mark(company_id, now)),
            *_stamp(now, actor),
        ], condition=m.hub_link_key == link.key)
        _audit_in(tx, audit)
        insight_store.unlink_in(tx, link.key, issuer, hub_company_id, company_id, now)

    if write_transaction(write):
        raise _lost_link()


def unlink_confirmed(hub_link_key: str, marks: frozenset[str]) -> None:
    """The hub's unlink is settled for these marks: off the hub link's record, and each
    company's pending mark cleared while it is still that one, in one transaction (a company
    that disabled again since keeps its new mark; a record already gone is left out)."""
    clear = sorted(marks)
    with_record = True
    for _ in range(LINK_ATTEMPTS):
        if not (with_record or clear):
            return
        failed = write_transaction(partial(_settled_in, key=hub_link_key, marks=marks,
                                           clear=clear, with_record=with_record))
        if not failed:
            return
        first = 1 if with_record else 0
        with_record = with_record and 0 not in failed
        clear = [c for n, c in enumerate(clear, first) if n not in failed]
    raise _lost_link()


def _settled_in(tx: Transaction, key: str, marks: frozenset[str], clear: list[str],
                with_record: bool) -> None:
    """The marks off the record (unless it is gone) and off each company still holding one."""
    m = PortalSecuritySettingsModel
    if with_record:
        insight_store.unlink_settled_in(tx, key, marks)
    for mark in clear:
        tx.update(m(insight_store.company_of_mark(mark)),
                  actions=[m.hub_unlink_mark.remove()], condition=m.hub_unlink_mark == mark)


SETTABLE = {"require_hub_login", "auto_create_users", "default_role", "auto_deactivate_users"}


def _option_actions(changes: dict[str, Any]) -> tuple[list[Any], Any]:
    """The update actions for toggles / the default role, and the condition that turning a
    toggle on needs (the hub link)."""
    unknown = set(changes) - SETTABLE
    if unknown:
        raise InvalidInput(f"Unknown settings: {', '.join(sorted(unknown))}")
    m = PortalSecuritySettingsModel
    actions = [getattr(m, name).set(value) for name, value in changes.items()]
    needs_link = any(value is True for value in changes.values())
    return actions, (m.hub_link_key.exists() if needs_link else None)


def set_options(company_id: str, *, now: dt.datetime, actor: str,
                **changes: Any) -> SecurityRecord:
    """Set toggles / the default role; turning a toggle on needs the hub link (condition)."""
    actions, condition = _option_actions(changes)
    return _update(company_id, [*actions, *_stamp(now, actor)], condition=condition)


@dataclass(frozen=True)
class AuditedChange:
    """One Security Settings change to write with its audit lines, and the hub link whose
    insights it makes due (the portal tick publishes them)."""

    company_id: str
    now: dt.datetime
    actor: str
    audits: list[NewAuditEntry]
    options: dict[str, Any] = field(default_factory=dict)
    exception: tuple[str, bool] | None = None  # (user id, added) of a User Exception
    hub_link: tuple[str, str] | None = None  # (issuer, hub company id)


def _change_actions(change: AuditedChange) -> tuple[list[Any], Any]:
    m = PortalSecuritySettingsModel
    actions, condition = _option_actions(change.options)
    if change.exception is not None:
        user_id, added = change.exception
        actions.append(m.exceptions.add({user_id}) if added else m.exceptions.delete({user_id}))
    return [*actions, *_stamp(change.now, change.actor)], condition


def write_audited(change: AuditedChange) -> None:
    """The change, its audit lines and its insights marked due: one transaction, all or none
    (ConcurrentChange when the hub link went meanwhile and a toggle was turned on)."""
    actions, condition = _change_actions(change)

    def write(tx: Transaction) -> None:
        tx.update(PortalSecuritySettingsModel(change.company_id), actions=actions,
                  condition=condition)
        for entry in change.audits:
            add_audit_in(tx, entry)
        if change.hub_link is not None:
            insight_store.mark_due_in(tx, hub_link_key(*change.hub_link), *change.hub_link,
                                      now=change.now)

    if write_transaction(write):
        raise _lost_link()


def add_exception(company_id: str, user_id: str, *, now: dt.datetime,
                  actor: str) -> SecurityRecord:
    m = PortalSecuritySettingsModel
    return _update(company_id, [m.exceptions.add({user_id}), *_stamp(now, actor)])


def remove_exception(company_id: str, user_id: str, *, now: dt.datetime,
                     actor: str) -> SecurityRecord:
    m = PortalSecuritySettingsModel
    return _update(company_id, [m.exceptions.delete({user_id}), *_stamp(now, actor)])
