"""Partner Portal storage of each hub link: its partner companies and the insights published.

One record per hub link (issuer#hub company id) holds the partner companies linked through it
(`company_ids`, added and removed in the transactions that link and unlink them, so a Log In with
Hub callback reads them by key, not from an index), the fingerprint of the last insights sent and
when the next refresh is due; the sparse `by_due` index lets the scheduled tick Query the due ones
(never a Scan). `companies_listed` says the list is complete: a record written before the list was
kept has none until the next link or the one-off upgrade `hub_link_backfill` lists it, and readers
ask the settings' index instead. `unlinking_ids` holds a mark (company id and time) per Disable
Login with Hub the hub has not yet confirmed, added in the unlink's transaction: the tick asks
the hub to forget the module's link once no partner company is linked through it, retried until
the hub confirms, and only then takes off the marks it saw (`security_settings.unlink_confirmed`),
so a company that links and disables again meanwhile stays pending with its new mark.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DeleteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.transactions import Transaction

DUE_SHARD = "due"


class PublicationByDue(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_due"
        projection = AllProjection()

    shard = UnicodeAttribute(hash_key=True)
    next_due_at = UTCDateTimeAttribute(range_key=True)


class PortalInsightsPublicationModel(Model):
    class Meta:
        logical_name = "portal_insights_publications"
        table_name = "portal_insights_publications"

    hub_link_key = UnicodeAttribute(hash_key=True)
    issuer = UnicodeAttribute()
    hub_company_id = UnicodeAttribute()
    fingerprint = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    next_due_at = UTCDateTimeAttribute()
    shard = UnicodeAttribute(default=DUE_SHARD)
    company_ids = UnicodeSetAttribute(null=True)  # the partner companies linked through it
    companies_listed = BooleanAttribute(null=True)  # True once company_ids lists every one
    unlinking_ids = UnicodeSetAttribute(null=True)  # unlink marks the hub has not confirmed
    by_due = PublicationByDue()


@dataclass(frozen=True)
class Publication:
    hub_link_key: str
    issuer: str
    hub_company_id: str
    next_due_at: dt.datetime
    fingerprint: str | None = None
    published_at: dt.datetime | None = None
    # The partner companies linked through it; None when the record does not list them yet.
    company_ids: frozenset[str] | None = None
    # The marks (`unlink_mark`) of the unlinks through it the hub has not confirmed yet.
    unlinking: frozenset[str] = frozenset()


def _publication(m: PortalInsightsPublicationModel) -> Publication:
    return Publication(m.hub_link_key, m.issuer, m.hub_company_id, m.next_due_at, m.fingerprint,
                       m.published_at, listed_companies(m), frozenset(m.unlinking_ids or ()))


def listed_companies(m: PortalInsightsPublicationModel | None) -> frozenset[str] | None:
    """The partner companies a hub link's record lists (an item read elsewhere, e.g. with a
    callback's first read); None when there is no record or it does not list them yet."""
    if m is None or not m.companies_listed:
        return None
    return frozenset(m.company_ids or ())


def get_publication(hub_link_key: str) -> Publication | None:
    try:
        with translated():
            return _publication(PortalInsightsPublicationModel.get(hub_link_key))
    except PortalInsightsPublicationModel.DoesNotExist:
        return None


def companies_of(hub_link_key: str) -> frozenset[str] | None:
    """The partner companies a hub link's record lists (one consistent read); None when there
    is no record or it does not list them yet."""
    try:
        with translated():
            return listed_companies(PortalInsightsPublicationModel.get(hub_link_key,
                                                                       consistent_read=True))
    except PortalInsightsPublicationModel.DoesNotExist:
        return None


def save_publication(publication: Publication) -> None:
    """Last writer wins: two publishes of the same posture store the same fingerprint (an
    update, so the partner companies a link or unlink wrote meanwhile stay)."""
    m = PortalInsightsPublicationModel
    with translated():
        m(publication.hub_link_key).update(actions=[
            m.issuer.set(publication.issuer), m.hub_company_id.set(publication.hub_company_id),
            _set_or_remove(m.fingerprint, publication.fingerprint),
            _set_or_remove(m.published_at, publication.published_at),
            m.next_due_at.set(publication.next_due_at), m.shard.set(DUE_SHARD),
        ])


def _set_or_remove(attribute: Any, value: object) -> Any:
    return attribute.set(value) if value is not None else attribute.remove()


def _due_actions(issuer: str, hub_company_id: str, now: dt.datetime) -> list[Any]:
    m = PortalInsightsPublicationModel
    return [m.issuer.set(issuer), m.hub_company_id.set(hub_company_id), m.next_due_at.set(now),
            m.shard.set(DUE_SHARD)]


def mark_due_in(tx: Transaction, hub_link_key: str, issuer: str, hub_company_id: str,
                now: dt.datetime) -> None:
    """Make this hub link's publication due at `now` in `tx`, with the change that calls for it
    (the last fingerprint stays: the tick sends only a list that differs from it)."""
    m = PortalInsightsPublicationModel
    tx.update(m(hub_link_key), actions=_due_actions(issuer, hub_company_id, now))


def link_in(tx: Transaction, hub_link_key: str, issuer: str, hub_company_id: str,
            company_ids: set[str], now: dt.datetime) -> None:
    """Add partner companies to their hub link's record in `tx` and call its list complete (the
    caller names every company linked through it), its insights due at `now`."""
    m = PortalInsightsPublicationModel
    tx.update(m(hub_link_key), actions=[*_due_actions(issuer, hub_company_id, now),
                                        m.company_ids.add(company_ids),
                                        m.companies_listed.set(True)])


def unlink_mark(company_id: str, now: dt.datetime) -> str:
    """One Disable's mark: the company and when (its settings hold the same until settled)."""
    return f"{company_id}#{now.isoformat()}"


def company_of_mark(mark: str) -> str:
    """The company an unlink mark names."""
    return mark.split("#", 1)[0]


def unlink_in(tx: Transaction, hub_link_key: str, issuer: str, hub_company_id: str,
              company_id: str, now: dt.datetime) -> None:
    """Take a partner company off its hub link's record in `tx`, listed as unlinking until the
    hub confirms; due at `now` (the tick unlinks the module at the hub when no company is left,
    else publishes the insights of those still linked)."""
    m = PortalInsightsPublicationModel
    tx.update(m(hub_link_key), actions=[*_due_actions(issuer, hub_company_id, now),
                                        m.company_ids.delete({company_id}),
                                        m.unlinking_ids.add({unlink_mark(company_id, now)})])


def unlink_settled_in(tx: Transaction, hub_link_key: str, marks: frozenset[str]) -> None:
    """Take these unlink marks off the hub link's record in `tx` (the hub confirmed, or the
    link is still used by another partner); marks added since stay."""
    m = PortalInsightsPublicationModel
    tx.update(m(hub_link_key), actions=[m.unlinking_ids.delete(set(marks))],
              condition=m.hub_link_key.exists())


def due_publications(now: dt.datetime, limit: int) -> list[Publication]:
    """Publications whose refresh is due, oldest first (one index Query)."""
    with translated():
        return [_publication(m) for m in PortalInsightsPublicationModel.by_due.query(
            DUE_SHARD, PortalInsightsPublicationModel.next_due_at <= now, limit=limit)]


def delete_publication(hub_link_key: str) -> bool:
    """Forget a hub link no partner company uses; False (kept) when its record lists one, as a
    link written meanwhile does, or an unlink the hub has not confirmed."""
    m = PortalInsightsPublicationModel
    try:
        with translated():
            m(hub_link_key).delete(condition=m.company_ids.does_not_exist()
                                   & m.unlinking_ids.does_not_exist())
    except DeleteError as exc:
        if not is_condition_failure(exc):
            raise
        return False
    return True


def list_companies(hub_link_key: str, issuer: str, hub_company_id: str, company_ids: set[str],
                   now: dt.datetime) -> None:
    """Mark a hub link's list complete, adding the companies the settings name, its insights due
    (the one-off upgrade of a record written before the list was kept, or of a link without
    one). Every link and unlink since the list began wrote itself, so the union is complete."""
    m = PortalInsightsPublicationModel
    actions = [*_due_actions(issuer, hub_company_id, now), m.companies_listed.set(True)]
    with translated():
        m(hub_link_key).update(actions=actions + ([m.company_ids.add(company_ids)]
                                                  if company_ids else []))
