"""A portal Log In with Hub's own reads and writes, batched: the linked users in two calls, the
sign-in's writes in one transaction.

The callback's first read is one consistent BatchGetItem of two items named by the ID token: the
hub identity's own item (every portal user it is linked to, with their companies) and its hub
company's link record (the partner companies linked to it). A linked identity's users and their
companies' settings are then read together (one BatchGetItem), so the callback knows which
companies are still linked to the identity's hub company; the sign-in writes the session, the
user's failures reset and the identity's last hub login all or none. A first sign-in reads the
username's and email's markers, the identity's marker in each linked company, and the companies
with their settings in one BatchGetItem; the email's markers carry what a link by a verified email
needs of their users, so such a link and its session are one transaction conditional on the user
item still saying the same. A password link writes the link, its audit entry and the session in
one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.portal.audit import NewAuditEntry, add_audit_in
from chalicelib.storage.portal.companies import PortalCompany, PortalCompanyModel, company_from
from chalicelib.storage.portal.hub_identities import (
    PortalHubIdentityModel,
    add_link_in,
    links_key,
    links_of,
    subject_marker,
)
from chalicelib.storage.portal.insights import PortalInsightsPublicationModel, listed_companies
from chalicelib.storage.portal.markers import (
    EmailCopy,
    PortalUniqueModel,
    email_copy_of,
    email_marker,
    username_marker,
)
from chalicelib.storage.portal.security_settings import (
    PortalSecuritySettingsModel,
    SecurityRecord,
    hub_link_key,
    record_from,
)
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.portal.users import PortalUser, PortalUserModel, holds_copy, user_from
from chalicelib.storage.together import MAX_ITEMS, Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction

MAX_LINKED = 40  # users plus their companies' settings stay within one BatchGetItem (100 items)
# A first sign-in's markers (a username; an email and the identity's per company) and companies
# with their settings: 1 + 4 per company within one BatchGetItem.
MAX_FIRST = 24


@dataclass(frozen=True)
class HubStart:
    """A callback's first read: the identity's links, (user id, company id) each, None when it has
    no item yet; the partner companies its hub company's record lists, None when it lists none."""

    links: list[tuple[str, str]] | None
    tenants: list[str] | None


def hub_start(issuer: str, subject: str, hub_company_id: str) -> HubStart:
    """The identity's own item and its hub company's link record, in one consistent
    BatchGetItem."""
    found = read_together([Wanted(PortalHubIdentityModel, links_key(issuer, subject)),
                           Wanted(PortalInsightsPublicationModel,
                                  hub_link_key(issuer, hub_company_id))])
    identity, record = found
    listed = listed_companies(record if isinstance(record, PortalInsightsPublicationModel)
                              else None)
    return HubStart(links_of(identity if isinstance(identity, PortalHubIdentityModel) else None),
                    sorted(listed) if listed is not None else None)


def linked_users(issuer: str, hub_company_id: str,
                 found_links: list[tuple[str, str]]) -> list[PortalUser]:
    """Of the portal users linked to a hub identity (user id, company id), those whose company
    is linked to its hub company: the users and their companies' settings in one consistent
    BatchGetItem (a user gone meanwhile, or a company unlinked, is left out)."""
    links = list(dict(found_links).items())[:MAX_LINKED]
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


def link_and_sign_in(user: PortalUser | EmailCopy, issuer: str, subject: str,
                     hub_company_id: str, audit: NewAuditEntry | None, session: PortalSession,
                     previous_key: str | None = None) -> str:
    """Link a proven user to a hub identity and sign them in, all or none: a check that their
    company is still linked to the identity's hub company, both identity markers, the user's
    failures reset and last login, the audit entry (when there is one), the new session, the
    browser's previous one ended. A user known by their email marker's copy (`EmailCopy`) is
    linked only while their item holds what the copy says. "linked", or why not: "unlinked" (the
    company is not linked to that hub company, the user is gone, or the copy was stale) or
    "identity" (the identity or the user is linked already)."""
    settings, model, now = PortalSecuritySettingsModel, PortalUserModel, session.created_at
    held = holds_copy(user) if isinstance(user, EmailCopy) else model.user_id.exists()

    def write(tx: Transaction) -> None:
        tx.condition_check(settings, user.company_id,
                           condition=settings.hub_link_key == hub_link_key(issuer, hub_company_id))
        tx.update(model(user.user_id), actions=[model.failures.set(0),
                                                model.last_login_at.set(now)],
                  condition=held)
        add_link_in(tx, user.user_id, user.company_id, issuer, subject, now)
        if audit is not None:
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
    company: the users its username and email name there, each company still linked with its
    settings, and the links the identity has there without its own item (linked before the item
    was kept: (user id, company id) each). `by_email`: the owners the email markers name, each
    with its marker's copy (None: written before copies); `username_owner`: who holds the
    username and their company as its marker says (None: nobody; company None: no copy)."""

    named: list[str]  # user ids, the username's owner first
    tenants: list[tuple[PortalCompany, SecurityRecord]]
    linked: list[tuple[str, str]]
    by_email: list[tuple[str, EmailCopy | None]] = field(default_factory=list)
    username_owner: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class Looking:
    """Who a first sign-in looks for: the identity (issuer, subject, hub company) and the keys of
    its username and email ("" when it has none a portal user could hold)."""

    issuer: str
    subject: str
    hub_company_id: str
    username_key: str
    email_key: str


def first_sign_in(company_ids: list[str], looking: Looking) -> FirstSignIn:
    """The username's marker, the email's marker and the identity's marker in each company, and
    the companies with their security settings, in one consistent BatchGetItem (empty keys are
    not asked for); a company no longer linked to the identity's hub company is left out."""
    ids = company_ids[:MAX_FIRST]
    by_username = [username_marker(looking.username_key)] if looking.username_key else []
    markers = by_username + ([email_marker(c, looking.email_key) for c in ids]
                             if looking.email_key else [])
    subjects = [Wanted(PortalHubIdentityModel, subject_marker(looking.issuer, looking.subject, c))
                for c in ids]
    found = read_together([Wanted(PortalUniqueModel, key) for key in markers] + subjects
                          + _company_items(ids))
    named = [str(m.owner_id) for m in found[:len(markers)] if isinstance(m, PortalUniqueModel)]
    linked = [(str(m.user_id), c) for c, m in zip(ids, found[len(markers):][:len(ids)],
                                                  strict=True)
              if isinstance(m, PortalHubIdentityModel)]
    tenants = [(company, record)
               for company, record in _tenants_of(ids, found[len(markers) + len(ids):])
               if (record.hub_issuer, record.hub_company_id) == (looking.issuer,
                                                                 looking.hub_company_id)]
    return FirstSignIn(list(dict.fromkeys(named)), tenants, linked,
                       *_owners(found[:len(markers)], len(by_username)))


def _owners(markers: list[Any], usernames: int
            ) -> tuple[list[tuple[str, EmailCopy | None]], tuple[str, str | None] | None]:
    """The email markers' owners with their copies, and the username's owner with its company
    (the markers read: the username's first when `usernames` is 1)."""
    by_email = [(str(m.owner_id), email_copy_of(m)) for m in markers[usernames:]
                if isinstance(m, PortalUniqueModel)]
    owner = markers[0] if usernames else None
    return by_email, ((str(owner.owner_id), owner.company_id)
                      if isinstance(owner, PortalUniqueModel) else None)


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
    """Each partner company with its security settings, in one consistent BatchGetItem (which
    company allows automatic user creation, its name and default role; the insights' posture)."""
    ids = company_ids[:MAX_LINKED]
    if not ids:
        return []
    return _tenants_of(ids, read_together(_company_items(ids)))
