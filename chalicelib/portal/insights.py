"""Insights the Partner Portal publishes to the hub about its security posture.

For the partner companies linked to one hub company: Require Log In with Hub is off; users who
have never signed in with the hub; users without a recent login. A security-setting change, and
enabling or disabling Login with Hub, marks its hub link's publication due in its own write
(storage `mark_due_in`, `link_in`, `unlink_in`), and `tick`, run every five minutes, publishes
it: the hub shows a change within minutes, the request never waits on the hub, and a hub outage is
tried again by the tick. The same tick finishes a Disable at the hub first (`hub_unlink.settle`).
The list is sent over HTTP (hub_services) only when it differs from the last one sent, so an
unchanged posture costs a few reads and no write on either side.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import asdict

from chalicelib import logs
from chalicelib.auth.sso import hub_services
from chalicelib.auth.sso.hub_services import Insight
from chalicelib.errors import LinkhubError
from chalicelib.portal import hub_unlink, users
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import hub_sign_ins as sign_in_store
from chalicelib.storage.portal import insights as store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.insights import Publication
from chalicelib.storage.portal.security_settings import SecurityRecord
from chalicelib.storage.portal.users import PortalUser

MODULE = "portal"
RECENT_LOGIN = dt.timedelta(days=30)
REFRESH_EVERY = dt.timedelta(days=1)
RETRY_AFTER = dt.timedelta(hours=1)
UNLINK_RETRY_AFTER = dt.timedelta(minutes=5)  # a hub unlink not confirmed: at the next tick
MAX_INSIGHTS = 20
NAMES_SHOWN = 5
TICK_LIMIT = 100


def _names(found: list[PortalUser]) -> str:
    shown = ", ".join(sorted(u.username for u in found)[:NAMES_SHOWN])
    more = len(found) - NAMES_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def posture(rt: Runtime, company: PortalCompany, settings: SecurityRecord, *,
            name_company: bool = False) -> list[Insight]:
    """One partner company's insights, from its settings, users and hub identities (the company
    and settings read by the caller, two queries here)."""
    company_id = company.company_id
    prefix = f"{company.name}: " if name_company else ""
    now = rt.clock.now()
    active = [u for u in user_store.users_of_company(company_id) if u.status == users.ACTIVE]
    hub_users = {link.user_id for link in identity_store.identities_of_company(company_id)}
    found: list[Insight] = []
    if not settings.require_hub_login:
        found.append(Insight(
            "portal.require_hub_login_off", f"{prefix}Require Log In with Hub is off",
            f"Users of {company.name} can still log in to the Partner Portal with a local "
            "password. A Security Admin can require the hub in Admin > Security Settings.",
            "warning"))
    never = [u for u in active if u.user_id not in hub_users]
    if never:
        found.append(Insight(
            "portal.never_signed_in_with_hub",
            f"{prefix}{_plural(len(never), 'user has', 'users have')} never signed in with the hub",
            f"In {company.name}: {_names(never)}.", "info"))
    stale = [u for u in active if (u.last_login_at or u.created_at) <= now - RECENT_LOGIN]
    if stale:
        days = RECENT_LOGIN.days
        found.append(Insight(
            "portal.no_recent_login",
            f"{prefix}{_plural(len(stale), 'user has', 'users have')} not logged in for "
            f"{days} days",
            f"In {company.name}: {_names(stale)}. Deactivate accounts that are no longer used.",
            "warning"))
    return found


def _hub_link(company_id: str) -> tuple[str, str] | None:
    """(issuer, hub company id) of the hub company this partner is linked to, if any."""
    settings = security_store.get_settings(company_id)
    if settings.hub_issuer and settings.hub_company_id:
        return settings.hub_issuer, settings.hub_company_id
    return None


def _linked_companies(issuer: str, hub_company_id: str,
                      last: Publication | None) -> list[tuple[PortalCompany, SecurityRecord]]:
    """The partner companies linked to the hub company, with their settings (one BatchGetItem):
    as its record lists them (else the settings' index), each kept only while its own settings
    still name that hub company (the record may list one an unlink just took off)."""
    if last is None or last.company_ids is None:
        ids = security_store.companies_linked_to(issuer, hub_company_id)
    else:
        ids = sorted(last.company_ids)
    return [(company, record) for company, record in sign_in_store.tenants(ids)
            if (record.hub_issuer, record.hub_company_id) == (issuer, hub_company_id)]


def _forget(key: str, last: Publication | None, now: dt.datetime) -> None:
    """Remove the record of a hub link no partner company uses any more. Kept when it lists a
    company: one linked meanwhile (still due, published at the next tick), or one whose own
    settings say it is unlinked (looked at again after RETRY_AFTER)."""
    if store.delete_publication(key) or last is None or not last.company_ids:
        return
    store.save_publication(dataclasses.replace(last, next_due_at=now + RETRY_AFTER))


def fingerprint(insights: list[Insight]) -> str:
    text = json.dumps([asdict(i) for i in insights], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def publish_for_company(rt: Runtime, company_id: str) -> bool:
    """Publish the insights of the hub company this partner is linked to; True when sent."""
    link = _hub_link(company_id)
    if link is None or link[0] != rt.settings.hub_issuer:
        return False
    return publish_for_hub_company(rt, *link)


def publish_for_hub_company(rt: Runtime, issuer: str, hub_company_id: str) -> bool:
    """Compute every linked partner's insights and send them if they changed; True when sent."""
    key = security_store.hub_link_key(issuer, hub_company_id)
    last = store.get_publication(key)
    now = rt.clock.now()
    tenants = _linked_companies(issuer, hub_company_id, last)
    if last is not None:
        hub_unlink.settle(rt, last, still_linked=bool(tenants))
    if not tenants:  # unlinked: the hub forgot the module's insights with it
        _forget(key, last, now)
        return False
    many = len(tenants) > 1
    insights = [i for company, settings in tenants
                for i in posture(rt, company, settings, name_company=many)][:MAX_INSIGHTS]
    digest = fingerprint(insights)
    if last is not None and last.fingerprint == digest:
        if last.next_due_at <= now:
            store.save_publication(Publication(key, issuer, hub_company_id,
                                               now + REFRESH_EVERY, digest, last.published_at))
        return False
    hub_services.publish_insights(rt, MODULE, hub_company_id=hub_company_id, insights=insights)
    store.save_publication(Publication(key, issuer, hub_company_id, now + REFRESH_EVERY, digest,
                                       now))
    logs.event("insights_published", module=MODULE, hub_company_id=hub_company_id,
               count=len(insights))
    return True


def tick(rt: Runtime) -> int:
    """Refresh the publications that are due (about daily each); returns how many were sent."""
    now = rt.clock.now()
    sent = 0
    for due in store.due_publications(now, TICK_LIMIT):
        try:
            sent += publish_for_hub_company(rt, due.issuer, due.hub_company_id)
        except LinkhubError as error:  # the hub is down or refused: try again later
            _failed(due, error, now)
    return sent


def _failed(due: Publication, error: LinkhubError, now: dt.datetime) -> None:
    """Logged, and due again later: at the next tick when the hub did not confirm an unlink."""
    unlinking = isinstance(error, hub_unlink.UnlinkNotConfirmed)
    logs.event("hub_unlink_failed" if unlinking else "insights_publish_failed",
               hub_company_id=due.hub_company_id,
               error=type(error.__cause__ if unlinking else error).__name__)
    retry = UNLINK_RETRY_AFTER if unlinking else RETRY_AFTER
    store.save_publication(Publication(due.hub_link_key, due.issuer, due.hub_company_id,
                                       now + retry, due.fingerprint, due.published_at))
