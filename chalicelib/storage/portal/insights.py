"""Partner Portal storage of what it last published to the hub as insights, per hub company.

One record per hub link (issuer#hub company id) holds the fingerprint of the last list sent and
when the next refresh is due; the sparse `by_due` index lets the scheduled tick Query the due ones
(never a Scan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.storage.base import translated
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
    by_due = PublicationByDue()


@dataclass(frozen=True)
class Publication:
    hub_link_key: str
    issuer: str
    hub_company_id: str
    next_due_at: dt.datetime
    fingerprint: str | None = None
    published_at: dt.datetime | None = None


def _publication(m: PortalInsightsPublicationModel) -> Publication:
    return Publication(m.hub_link_key, m.issuer, m.hub_company_id, m.next_due_at, m.fingerprint,
                       m.published_at)


def get_publication(hub_link_key: str) -> Publication | None:
    try:
        with translated():
            return _publication(PortalInsightsPublicationModel.get(hub_link_key))
    except PortalInsightsPublicationModel.DoesNotExist:
        return None


def save_publication(publication: Publication) -> None:
    """Last writer wins: two publishes of the same posture store the same fingerprint."""
    with translated():
        PortalInsightsPublicationModel(
            publication.hub_link_key, issuer=publication.issuer,
            hub_company_id=publication.hub_company_id, fingerprint=publication.fingerprint,
            published_at=publication.published_at, next_due_at=publication.next_due_at,
            shard=DUE_SHARD,
        ).save()


def mark_due_in(tx: Transaction, hub_link_key: str, issuer: str, hub_company_id: str,
                now: dt.datetime) -> None:
    """Make this hub link's publication due at `now` in `tx`, with the change that calls for it
    (the last fingerprint stays: the tick sends only a list that differs from it)."""
    m = PortalInsightsPublicationModel
    tx.update(m(hub_link_key), actions=[m.issuer.set(issuer), m.hub_company_id.set(hub_company_id),
                                        m.next_due_at.set(now), m.shard.set(DUE_SHARD)])


def due_publications(now: dt.datetime, limit: int) -> list[Publication]:
    """Publications whose refresh is due, oldest first (one index Query)."""
    with translated():
        return [_publication(m) for m in PortalInsightsPublicationModel.by_due.query(
            DUE_SHARD, PortalInsightsPublicationModel.next_due_at <= now, limit=limit)]


def delete_publication(hub_link_key: str) -> None:
    try:
        with translated():
            PortalInsightsPublicationModel(hub_link_key).delete()
    except DeleteError:
        pass
