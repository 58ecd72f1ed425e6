"""Hub storage of the insights each linked module publishes about a hub company.

One record per (hub company, module) holds that module's latest list, replaced whole on each
publish; the dashboard reads a company's records with one Query.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated


class HubInsightModel(Model):
    class Meta:
        logical_name = "hub_insights"
        table_name = "hub_insights"

    company_id = UnicodeAttribute(hash_key=True)
    module = UnicodeAttribute(range_key=True)
    insights = UnicodeAttribute()  # JSON list of {kind, title, detail, severity}
    fingerprint = UnicodeAttribute()  # SHA-256 of the list, so an unchanged publish writes nothing
    published_at = UTCDateTimeAttribute()


@dataclass(frozen=True)
class StoredInsight:
    kind: str
    title: str
    detail: str
    severity: str


@dataclass(frozen=True)
class ModuleInsights:
    company_id: str
    module: str
    published_at: dt.datetime
    insights: list[StoredInsight] = field(default_factory=list)


def _record(m: HubInsightModel) -> ModuleInsights:
    items = json.loads(m.insights or "[]")
    return ModuleInsights(
        company_id=m.company_id,
        module=m.module,
        published_at=m.published_at,
        insights=[StoredInsight(**item) for item in items],
    )


def replace_insights(company_id: str, module: str, insights: list[StoredInsight],
                     fingerprint: str, now: dt.datetime) -> bool:
    """Store a module's latest insights; False (and no write) when they equal the stored ones."""
    model = HubInsightModel(
        company_id,
        module,
        insights=json.dumps([vars(i) for i in insights], separators=(",", ":")),
        fingerprint=fingerprint,
        published_at=now,
    )
    try:
        with translated():
            model.save(condition=HubInsightModel.fingerprint.does_not_exist()
                       | (HubInsightModel.fingerprint != fingerprint))
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def insights_of_company(company_id: str) -> list[ModuleInsights]:
    """Every module's latest insights for one hub company (one Query)."""
    with translated():
        return [_record(m) for m in HubInsightModel.query(company_id)]


def delete_insights(company_id: str, module: str) -> None:
    """Forget a module's insights (it was unlinked); nothing to delete is fine."""
    try:
        with translated():
            HubInsightModel(company_id, module).delete()
    except DeleteError:
        pass
