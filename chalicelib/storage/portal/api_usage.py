"""REST API usage: one atomic counter per partner per hour (the weighted cost spent so far)."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated


class ApiUsageModel(Model):
    """One atomic counter per partner per hour: the weighted cost spent so far."""

    class Meta:
        logical_name = "portal_api_usage"
        table_name = "portal_api_usage"
        ttl_attribute = "expires_ttl"

    company_id = UnicodeAttribute(hash_key=True)
    hour = UnicodeAttribute(range_key=True)  # e.g. 2026-01-05T09
    used = NumberAttribute(default=0)
    expires_ttl = NumberAttribute()


def spend_api_budget(company_id: str, hour: str, cost: int, budget: int,
                     expires_ttl: int) -> int | None:
    """Add `cost` to this hour's counter unless that would pass `budget`.

    One conditional UpdateItem: the condition (no counter yet, or used + cost <= budget) and the
    increment are atomic, so concurrent calls can never overspend. Returns the new total, or None
    when the budget would be exceeded (nothing is added then).
    """
    model = ApiUsageModel(company_id, hour)
    condition = ApiUsageModel.used.does_not_exist() | (ApiUsageModel.used <= budget - cost)
    try:
        with translated():
            model.update(
                actions=[ApiUsageModel.used.add(cost), ApiUsageModel.expires_ttl.set(expires_ttl)],
                condition=condition,
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return None
        raise
    return int(model.used)


def api_usage(company_id: str, hour: str) -> int:
    try:
        with translated():
            return int(ApiUsageModel.get(company_id, hour, consistent_read=True).used)
    except ApiUsageModel.DoesNotExist:
        return 0
