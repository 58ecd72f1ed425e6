"""A portal Log In with Hub's own reads and writes, batched: the linked users in two calls, the
sign-in's writes in one transaction.

The hub identity's markers (index by_subject) name each linked user and their company; the users
and those companies' security settings are then read together (one consistent BatchGetItem), so
the callback knows which companies are still linked to the identity's hub company without a
query of its own. The sign-in then writes the session, the user's failures reset and the
identity's last hub login all or none. A first sign-in reads the username's and email's markers
with the linked companies and their settings in one BatchGetItem; a password link writes the
link, its audit entry and the session in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.portal.audit import NewAuditEntry, add_audit_in
from chalicelib.storage.portal.companies import PortalCompany, PortalCompanyModel, company_from
from chalicelib.storage.portal.hub_identities import (
    PortalHubIdentityModel,
    identity_markers,
    users_linked_to_subject,
)
from chalicelib.storage.portal.markers import PortalUniqueModel, username_marker
from chalicelib.storage.portal.security_settings import (
    PortalSecuritySettingsModel,
    SecurityRecord,
    hub_link_key,
    record_from,
)
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.portal.users import PortalUser, PortalUserModel, user_from
from chalicelib.storage.together import MAX_ITEMS, Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction

MAX_LINKED = 40  # users plus their companies' settings stay within one BatchGetItem (100 items)
# A first sign-in's markers (a username, an email per company) and companies with their settings.
MAX_FIRST = 33


def linked_users(issuer: str, subject: str, hub_company_id: str) -> list[PortalUser]:
    """The portal users linked to this hub identity whose company is linked to its hub company:
    one index query, then the users and their companies' settings in one consistent
    BatchGetItem (a user gone meanwhile, or a company unlinked, is left out)."""
    links = list(dict(users_linked_to_subject(issuer, subject)).items())[:MAX_LINKED]
    if not links:
        return []
    companies = sorted({company_id for _, company_id in links if company_id})
    wanted = ([Wanted(PortalUserModel, user_id) for user_id, _ in links]
              + [Wanted(PortalSecuritySettingsModel, c) for c in companies])
    found = read_together(wanted)
    key = hub_link_key(issuer, hub_company_id)
    linked = {c for c, m in zip(companies, found[len(links):], strict=True)
              if isinstance(m, PortalSecuritySettingsModel) and m.hub_link_key == key}
    return [user_from(m) for m in found[:len(links)]
            if isinstance(m, PortalUserModel) and m.company_id in linked]


def start_hub_session(session: PortalSession, now: dt.datetime,
                      previous_key: str | None = None) -> None:
    """A hub sign-in's writes in one TransactWriteItems: the user's failures reset and last
    login, the identity's last hub login, the new session, the browser's previous one ended.
    ConcurrentChange (nothing written) when the user or their link is gone meanwhile."""
    user, link = PortalUserModel, PortalHubIdentityModel

    def write(tx: Transaction) -> None:
        tx.update(user(session.user_id), actions=[user.failures.set(0),
                                                  user.last_login_at.set(now)],
                  condition=user.user_id.exists())
        tx.update(link(f"user#{session.user_id}"), actions=[link.last_hub_login_at.set(now)],
                  condition=link.link_key.exists())
        tx.save(portal_sessions.model_of(session),
                condition=PortalSessionModel.session_key.does_not_exist())
        if previous_key and previous_key != session.session_key:
            tx.delete(PortalSessionModel(previous_key))

    if write_transaction(write):
        raise ConcurrentChange("The account changed while signing in. Please try again.")


def link_and_sign_in(user: PortalUser, issuer: str, subject: str, hub_company_id: str,
                     audit: NewAuditEntry, session: PortalSession,
                     previous_key: str | None = None) -> str:
    """Link a proven user to a hub identity and sign them in, all or none: a check that their
    company is still linked to the identity's hub company, both identity markers, the user's
    failures reset and last login, the audit entry, the new session, the browser's previous one
    ended. "linked", or why not: "unlinked" (the company is not linked to that hub company, or
    the user is gone) or "identity" (the identity or the user is linked already)."""
    settings, model, now = PortalSecuritySettingsModel, PortalUserModel, session.created_at

    def write(tx: Transaction) -> None:
        tx.condition_check(settings, user.company_id,
                           condition=settings.hub_link_key == hub_link_key(issuer, hub_company_id))
        tx.update(model(user.user_id), actions=[model.failures.set(0),
                                                model.last_login_at.set(now)],
                  condition=model.user_id.exists())
        for marker in identity_markers(user.user_id, user.company_id, issuer, subject, now):
            tx.save(marker, condition=PortalHubIdentityModel.link_key.does_not_exist())
        add_audit_in(tx, audit)
        tx.save(portal_sessions.model_of(session),
                condition=PortalSessionModel.session_key.does_not_exist())
        if previous_key and previous_key != session.session_key:
            tx.delete(PortalSessionModel(previous_key))

    failed = write_transaction(write)
    return "linked" if not failed else "unlinked" if min(failed) < 2 else "identity"


@dataclass(frozen=True)
class FirstSignIn:
    """What a hub identity's first sign-in finds in the partner companies linked to its hub
    company: the users its username and email name there, and each company with its settings."""

    named: list[str]  # user ids, the username's owner first
    tenants: list[tuple[PortalCompany, SecurityRecord]]


def first_sign_in(company_ids: list[str], username_key: str, email_key: str) -> FirstSignIn:
    """The username's marker, the email's marker in each company, and the companies with their
    security settings, in one consistent BatchGetItem (empty keys are not asked for)."""
    ids = company_ids[:MAX_FIRST]
    markers = ([username_marker(username_key)] if username_key else []) + (
        [f"email#{c}#{email_key}" for c in ids] if email_key else [])
    found = read_together([Wanted(PortalUniqueModel, key) for key in markers]
                          + _company_items(ids))
    named = [str(m.owner_id) for m in found[:len(markers)] if isinstance(m, PortalUniqueModel)]
    return FirstSignIn(list(dict.fromkeys(named)), _tenants_of(ids, found[len(markers):]))


def unlinked_users(user_ids: list[str]) -> list[PortalUser]:
    """Those users that exist and are linked to no hub identity yet: the users and their
    identity markers in one consistent BatchGetItem (nothing read for no ids)."""
    ids = user_ids[:MAX_LINKED]
    if not ids:
        return []
    found = read_together([Wanted(PortalUserModel, u) for u in ids]
                          + [Wanted(PortalHubIdentityModel, f"user#{u}") for u in ids])
    return [user_from(user) for user, link in zip(found[:len(ids)], found[len(ids):], strict=True)
            if isinstance(user, PortalUserModel) and link is None]


def users_named(user_ids: list[str]) -> list[PortalUser]:
    """Those users that exist, in order, in one consistent BatchGetItem (nothing read for none)."""
    ids = list(dict.fromkeys(user_ids))[:MAX_ITEMS]
    found = read_together([Wanted(PortalUserModel, u) for u in ids]) if ids else []
    return [user_from(m) for m in found if isinstance(m, PortalUserModel)]


def _company_items(ids: list[str]) -> list[Wanted]:
    return ([Wanted(PortalCompanyModel, c) for c in ids]
            + [Wanted(PortalSecuritySettingsModel, c) for c in ids])


def _tenants_of(ids: list[str], found: list[Any]) -> list[tuple[PortalCompany, SecurityRecord]]:
    """Each company that exists, with its settings (defaults when it has none stored)."""
    return [(company_from(company), record_from(settings)
             if isinstance(settings, PortalSecuritySettingsModel)
             else SecurityRecord(company_id=company_id))
            for company_id, company, settings in zip(ids, found[:len(ids)], found[len(ids):],
                                                     strict=True)
            if isinstance(company, PortalCompanyModel)]


def tenants(company_ids: list[str]) -> list[tuple[PortalCompany, SecurityRecord]]:
    """Each partner company with its security settings, in one consistent BatchGetItem (for
    automatic user creation: which company allows it, its name and default role)."""
    ids = company_ids[:MAX_LINKED]
    if not ids:
        return []
    return _tenants_of(ids, read_together(_company_items(ids)))
