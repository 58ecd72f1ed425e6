"""DynamoDB calls of the shared web routes: the front door and the static files read nothing.

Each row counts the calls of one request (`tables.counting_calls()`), from a fresh browser and
from a browser signed in to the hub (its session cookie is sent, and must not be read).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.storage import tables
from tests.auth.hub.helpers import log_in, make_account
from tests.web_client import WebClient


@dataclass(frozen=True)
class Row:
    """One request, the status it answers and its budget."""

    route: str
    path: str
    status: int
    budget: int = 0


ROWS = [
    Row("GET /", "/", 302),
    Row("GET /favicon.ico", "/favicon.ico", 200),
    Row("GET /static/{name}", "/static/kit.js", 200),
    Row("GET /static/{name} (unknown)", "/static/nothing-here.js", 404),
]


@pytest.mark.parametrize("signed_in", [False, True], ids=["fresh", "signed-in"])
@pytest.mark.parametrize("row", ROWS, ids=[row.route for row in ROWS])
def test_each_web_request_keeps_its_call_budget(client: WebClient, row: Row,
                                                signed_in: bool) -> None:
    if signed_in:
        assert log_in(client, make_account()).status == 303
        assert "lh_hub_session" in client.cookies
    with tables.counting_calls() as counter:
        reply = client.get(row.path)
    assert reply.status == row.status, (row.route, reply)
    assert counter.total <= row.budget, (row.route, counter.total, counter.calls)
