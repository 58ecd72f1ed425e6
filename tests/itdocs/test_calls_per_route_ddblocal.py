"""The pages whose first read is one BatchGetItem across five tables (session, user, account and
what the URL names), the card's BatchGetItem and the transactions that keep an organization's
list of matched customers, on DynamoDB Local: the same answers and counts
as on moto, since real DynamoDB refuses batches moto takes (a key named twice, a wrong key)."""

from __future__ import annotations

import pytest

from tests.itdocs.test_calls_per_route import ROUTES, measure_route
from tests.itdocs.world import MANY

CHECKED = ("organization", "contact", "contact edit", "match to", "change match",
           "matching matched", "integration logs", "status by session", "accept suggested",
           "rename organization", "accept selected", "match to (form)", "unmatch",
           "manual sync by api key", "change role", "create api key")
ON_DDB = [r for r in ROUTES if r.name in CHECKED]


@pytest.mark.ddblocal
@pytest.mark.parametrize("route", ON_DDB, ids=[r.name for r in ON_DDB])
def test_batched_reads_hold_on_dynamodb_local(ddb, ddb_client, route):
    reply, calls = measure_route(ddb, ddb_client, route, MANY)

    assert reply.status == route.status, f"{route.name}: {reply!r}"
    assert calls.calls["Scan"] == 0
    assert calls.total <= route.budget, f"{route.name}: {dict(calls.calls)}"
