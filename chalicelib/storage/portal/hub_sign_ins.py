"""A portal Log In with Hub's own reads and writes, batched: the linked users in two calls, the
sign-in's writes in one transaction.

The hub identity's markers (index by_subject) name each linked user and their company; the users
and those companies' security settings are then read together (one consistent BatchGetItem), so
the callback knows which companies are still linked to the identity's hub company without a
query of its own. The sign-in then writes the session, the user's failures reset and the
identity's last hub login all or none.
"""

from __future__ import annotations

import datetime as dt

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.portal.companies import PortalCompany, PortalCompanyModel, company_from
from chalicelib.storage.portal.hub_identities import PortalHubIdentityModel, users_linked_to_subject
from chalicelib.storage.portal.security_settings import (
    PortalSecuritySettingsModel,
    SecurityRecord,
    hub_link_key,
    record_from,
)
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.portal.users import PortalUser, PortalUserModel, user_from
from chalicelib.storage.together import Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction

MAX_LINKED = 40  # users plus their companies' settings stay within one BatchGetItem (100 items)


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


def tenants(company_ids: list[str]) -> list[tuple[PortalCompany, SecurityRecord]]:
    """Each partner company with its security settings, in one consistent BatchGetItem (for
    automatic user creation: which company allows it, its name and default role)."""
    ids = company_ids[:MAX_LINKED]
    if not ids:
        return []
    found = read_together([Wanted(PortalCompanyModel, c) for c in ids]
                          + [Wanted(PortalSecuritySettingsModel, c) for c in ids])
    return [(company_from(company), record_from(settings)
             if isinstance(settings, PortalSecuritySettingsModel)
             else SecurityRecord(company_id=company_id))
            for company_id, company, settings in zip(ids, found[:len(ids)], found[len(ids):],
                                                     strict=True)
            if isinstance(company, PortalCompanyModel)]
