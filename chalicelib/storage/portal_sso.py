"""Partner Portal storage for Log In with Hub: security settings, hub identities, the audit trail.

- `portal_security_settings`: one item per partner company (absent means every default); the hub
  link (`hub_link_key` = issuer#hub company id) has a sparse index, so the companies linked to a hub
  company are one Query.
- `portal_hub_identities`: two markers per linked user, written together with conditions:
  `sub#<issuer>#<subject>#<company>` (one portal user per hub identity and company: the JIT race is
  decided here) and `user#<user_id>` (one hub identity per portal user). The `sub#` items carry
  `subject_key` (index by_subject), the `user#` items `company_id` (index by_company).
- `portal_security_audit`: who changed which security setting when, newest first by sort key.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.errors import AlreadyExists, ConcurrentChange, InvalidInput
from chalicelib.storage import tables
from chalicelib.storage.base import is_condition_failure, transaction_outcome, translated
from chalicelib.storage.portal import PortalUniqueModel, PortalUser, PortalUserModel

# --------------------------------------------------------------------------------------------------
# Models


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
    by_hub_link = SettingsByHubLink()


class IdentityBySubject(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_subject"
        projection = AllProjection()

    subject_key = UnicodeAttribute(hash_key=True)


class IdentityByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)


class PortalHubIdentityModel(Model):
    class Meta:
        logical_name = "portal_hub_identities"
        table_name = "portal_hub_identities"

    link_key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    issuer = UnicodeAttribute()
    subject = UnicodeAttribute()
    linked_at = UTCDateTimeAttribute()
    subject_key = UnicodeAttribute(null=True)  # on sub# markers only
    company_id = UnicodeAttribute(null=True)  # on user# markers only
    member_company_id = UnicodeAttribute(null=True)  # on sub# markers: the user's company
    last_hub_login_at = UTCDateTimeAttribute(null=True)
    by_subject = IdentityBySubject()
    by_company = IdentityByCompany()


class PortalSecurityAuditModel(Model):
    class Meta:
        logical_name = "portal_security_audit"
        table_name = "portal_security_audit"

    company_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # ISO time # random, so newest sorts last
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    detail = UnicodeAttribute()


# --------------------------------------------------------------------------------------------------
# Plain records


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


@dataclass
class HubIdentityLink:
    user_id: str
    company_id: str
    issuer: str
    subject: str
    linked_at: dt.datetime
    last_hub_login_at: dt.datetime | None = None


@dataclass
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    detail: str


def hub_link_key(issuer: str, hub_company_id: str) -> str:
    return f"{issuer}#{hub_company_id}"


def _record(m: PortalSecuritySettingsModel) -> SecurityRecord:
    return SecurityRecord(
        company_id=m.company_id, hub_issuer=m.hub_issuer, hub_company_id=m.hub_company_id,
        hub_company_name=m.hub_company_name, linked_at=m.linked_at,
        require_hub_login=bool(m.require_hub_login), auto_create_users=bool(m.auto_create_users),
        default_role=m.default_role, auto_deactivate_users=bool(m.auto_deactivate_users),
        exceptions=set(m.exceptions or ()), updated_at=m.updated_at, updated_by=m.updated_by,
    )


# --------------------------------------------------------------------------------------------------
# Security settings


def get_settings(company_id: str) -> SecurityRecord:
    """The company's settings (every default when it never changed one)."""
    try:
        with translated():
            return _record(PortalSecuritySettingsModel.get(company_id, consistent_read=True))
    except PortalSecuritySettingsModel.DoesNotExist:
        return SecurityRecord(company_id=company_id)


def companies_linked_to(issuer: str, hub_company_id: str) -> list[str]:
    """Ids of the partner companies linked to this hub company (one index query)."""
    with translated():
        return sorted(m.company_id for m in PortalSecuritySettingsModel.by_hub_link.query(
            hub_link_key(issuer, hub_company_id)))


def _update(company_id: str, actions: list[Any], condition: Any = None) -> SecurityRecord:
    model = PortalSecuritySettingsModel(company_id)
    try:
        with translated():
            model.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange(
                "Log In with Hub was enabled or disabled meanwhile. Reload and try again."
            ) from exc
        raise
    return _record(model)


def _stamp(now: dt.datetime, actor: str) -> list[Any]:
    return [PortalSecuritySettingsModel.updated_at.set(now),
            PortalSecuritySettingsModel.updated_by.set(actor)]


def link_company(company_id: str, *, issuer: str, hub_company_id: str, hub_company_name: str,
                 now: dt.datetime, actor: str) -> SecurityRecord:
    """Link to a hub company; refused (ConcurrentChange) while linked to another one."""
    key = hub_link_key(issuer, hub_company_id)
    m = PortalSecuritySettingsModel
    return _update(company_id, [
        m.hub_issuer.set(issuer), m.hub_company_id.set(hub_company_id),
        m.hub_company_name.set(hub_company_name), m.hub_link_key.set(key), m.linked_at.set(now),
        *_stamp(now, actor),
    ], condition=m.hub_link_key.does_not_exist() | (m.hub_link_key == key))


def unlink_company(company_id: str, *, now: dt.datetime, actor: str) -> SecurityRecord:
    """Remove the link and turn off every setting that needs it."""
    m = PortalSecuritySettingsModel
    return _update(company_id, [
        m.hub_issuer.remove(), m.hub_company_id.remove(), m.hub_company_name.remove(),
        m.hub_link_key.remove(), m.linked_at.remove(), m.require_hub_login.set(False),
        m.auto_create_users.set(False), m.auto_deactivate_users.set(False), *_stamp(now, actor),
    ])


SETTABLE = {"require_hub_login", "auto_create_users", "default_role", "auto_deactivate_users"}


def set_options(company_id: str, *, now: dt.datetime, actor: str,
                **changes: Any) -> SecurityRecord:
    """Set toggles / the default role; turning a toggle on needs the hub link (condition)."""
    unknown = set(changes) - SETTABLE
    if unknown:
        raise InvalidInput(f"Unknown settings: {', '.join(sorted(unknown))}")
    m = PortalSecuritySettingsModel
    actions = [getattr(m, name).set(value) for name, value in changes.items()]
    needs_link = any(value is True for value in changes.values())
    condition = m.hub_link_key.exists() if needs_link else None
    return _update(company_id, [*actions, *_stamp(now, actor)], condition=condition)


def add_exception(company_id: str, user_id: str, *, now: dt.datetime,
                  actor: str) -> SecurityRecord:
    m = PortalSecuritySettingsModel
    return _update(company_id, [m.exceptions.add({user_id}), *_stamp(now, actor)])


def remove_exception(company_id: str, user_id: str, *, now: dt.datetime,
                     actor: str) -> SecurityRecord:
    m = PortalSecuritySettingsModel
    return _update(company_id, [m.exceptions.delete({user_id}), *_stamp(now, actor)])


# --------------------------------------------------------------------------------------------------
# Audit


def add_audit(company_id: str, entry_key: str, entry: AuditEntry) -> None:
    with translated():
        PortalSecurityAuditModel(company_id, entry_key, at=entry.at, actor=entry.actor,
                                 action=entry.action, detail=entry.detail).save()


def audit_of(company_id: str, limit: int = 50) -> list[AuditEntry]:
    """The newest entries first."""
    with translated():
        return [AuditEntry(m.at, m.actor, m.action, m.detail)
                for m in PortalSecurityAuditModel.query(company_id, scan_index_forward=False,
                                                        limit=limit)]


# --------------------------------------------------------------------------------------------------
# Hub identities


def _subject_marker(issuer: str, subject: str, company_id: str) -> str:
    return f"sub#{issuer}#{subject}#{company_id}"


def _subject_key(issuer: str, subject: str) -> str:
    return f"{issuer}#{subject}"


def _markers(user_id: str, company_id: str, issuer: str, subject: str,
             now: dt.datetime) -> list[PortalHubIdentityModel]:
    return [
        PortalHubIdentityModel(_subject_marker(issuer, subject, company_id), user_id=user_id,
                               issuer=issuer, subject=subject, linked_at=now,
                               subject_key=_subject_key(issuer, subject),
                               member_company_id=company_id),
        PortalHubIdentityModel(f"user#{user_id}", user_id=user_id, issuer=issuer,
                               subject=subject, linked_at=now, company_id=company_id,
                               last_hub_login_at=now),
    ]


def owner_of_identity(issuer: str, subject: str, company_id: str) -> str | None:
    """The portal user this hub identity is linked to in a company (consistent read)."""
    try:
        with translated():
            return str(PortalHubIdentityModel.get(_subject_marker(issuer, subject, company_id),
                                                  consistent_read=True).user_id)
    except PortalHubIdentityModel.DoesNotExist:
        return None


def users_linked_to_subject(issuer: str, subject: str) -> list[tuple[str, str]]:
    """(user id, company id) of every portal user linked to this hub identity (index query)."""
    with translated():
        return [(m.user_id, m.member_company_id or "")
                for m in PortalHubIdentityModel.by_subject.query(_subject_key(issuer, subject))]


def identity_of_user(user_id: str) -> HubIdentityLink | None:
    try:
        with translated():
            m = PortalHubIdentityModel.get(f"user#{user_id}")
    except PortalHubIdentityModel.DoesNotExist:
        return None
    return HubIdentityLink(m.user_id, m.company_id or "", m.issuer, m.subject, m.linked_at,
                           m.last_hub_login_at)


def identities_of_company(company_id: str) -> list[HubIdentityLink]:
    """Every linked user of a partner company (index query): who has signed in with the hub."""
    with translated():
        return [HubIdentityLink(m.user_id, m.company_id or "", m.issuer, m.subject, m.linked_at,
                                m.last_hub_login_at)
                for m in PortalHubIdentityModel.by_company.query(company_id)]


def link_identity(user_id: str, company_id: str, issuer: str, subject: str,
                  now: dt.datetime) -> None:
    """Both markers or neither; AlreadyExists when the identity or the user is linked already."""
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            for marker in _markers(user_id, company_id, issuer, subject, now):
                tx.save(marker, condition=PortalHubIdentityModel.link_key.does_not_exist())
    except TransactWriteError as exc:
        raise AlreadyExists("This hub account or portal user is linked already.") from exc


def create_user_with_identity(user: PortalUser, username_key: str, email_key: str, *,
                              issuer: str, subject: str, now: dt.datetime) -> str:
    """Create a user already linked to a hub identity, in one transaction.

    Returns "created", or why it failed: "identity" (another request linked this hub identity in
    this company first: the JIT race), "taken" (the username or email marker is taken), "conflict".
    """
    model = PortalUserModel(user.user_id, username_key=username_key, email_key=email_key)
    for name in PortalUser.__dataclass_fields__:
        setattr(model, name, getattr(user, name))
    uniques = [PortalUniqueModel(f"username#{username_key}", owner_id=user.user_id),
               PortalUniqueModel(f"email#{user.company_id}#{email_key}", owner_id=user.user_id)]
    try:
        with translated(), TransactWrite(connection=tables.connection()) as tx:
            # The identity marker first: whoever writes it creates the user; the rest lose here.
            for marker in _markers(user.user_id, user.company_id, issuer, subject, now):
                tx.save(marker, condition=PortalHubIdentityModel.link_key.does_not_exist())
            for unique in uniques:
                tx.save(unique, condition=PortalUniqueModel.key.does_not_exist())
            tx.save(model, condition=PortalUserModel.user_id.does_not_exist())
    except TransactWriteError as exc:
        outcome = transaction_outcome(exc)
        if outcome == "conflict":
            return "conflict"
        if outcome != "condition":
            raise
        reasons = getattr(exc, "cancellation_reasons", None) or []
        failed = [i for i, r in enumerate(reasons) if r and r.code == "ConditionalCheckFailed"]
        return "identity" if any(i < 2 for i in failed) or not failed else "taken"
    return "created"


def record_hub_login(user_id: str, now: dt.datetime) -> None:
    with translated():
        PortalHubIdentityModel(f"user#{user_id}").update(
            actions=[PortalHubIdentityModel.last_hub_login_at.set(now)],
            condition=PortalHubIdentityModel.link_key.exists(),
        )


def unlink_user(user_id: str) -> None:
    """Forget a user's hub identity (both markers); nothing happens when there is none."""
    link = identity_of_user(user_id)
    if link is None:
        return
    with translated(), TransactWrite(connection=tables.connection()) as tx:
        tx.delete(PortalHubIdentityModel(_subject_marker(link.issuer, link.subject,
                                                         link.company_id)))
        tx.delete(PortalHubIdentityModel(f"user#{user_id}"))
