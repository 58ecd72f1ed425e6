"""Reading a page's session, user and settings in one call: what is read, what is missing, what
DynamoDB leaves unprocessed, and what it refuses — on moto and on DynamoDB Local."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chalicelib.auth import session_rules
from chalicelib.errors import StorageRejected, StorageUnavailable
from chalicelib.storage import tables, together
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.together import Wanted, read_together
from tests.conftest import unique

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _session(key: str, user_id: str) -> PortalSession:
    return PortalSession(key, user_id, "c1", NOW, NOW, NOW + dt.timedelta(hours=12))


def _read_three(first: str, second: str) -> list[Any]:
    return read_together([Wanted(PortalSessionModel, first), Wanted(PortalSessionModel, "absent"),
                          Wanted(PortalSessionModel, second)])


@pytest.fixture(params=["aws", "ddb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "ddb":
        request.applymarker(pytest.mark.ddblocal)
    return request.getfixturevalue(request.param)


def test_items_come_back_in_the_order_asked_with_none_for_a_missing_one_in_one_call(store):
    first, second = unique("k"), unique("k")
    portal_sessions.create_session(_session(first, "u1"))
    portal_sessions.create_session(_session(second, "u2"))

    with tables.counting_calls() as calls:
        found = _read_three(first, second)

    assert [None if m is None else m.user_id for m in found] == ["u1", None, "u2"]
    assert calls.calls == {"BatchGetItem": 1}


def test_keys_left_unprocessed_are_asked_for_again_then_the_read_is_unavailable(aws, monkeypatch):
    key = unique("k")
    portal_sessions.create_session(_session(key, "u1"))
    answers: list[dict[str, Any]] = []
    real = together._batch_get

    def throttled_first(request: dict[str, Any]) -> dict[str, Any]:
        answers.append(request)
        return {"Responses": {}, "UnprocessedKeys": request} if len(answers) == 1 else real(request)

    monkeypatch.setattr(together, "_batch_get", throttled_first)
    monkeypatch.setattr(together, "pause", lambda seconds: None)
    assert read_together([Wanted(PortalSessionModel, key)])[0].user_id == "u1"
    assert len(answers) == 2

    monkeypatch.setattr(together, "_batch_get",
                        lambda request: {"Responses": {}, "UnprocessedKeys": request})
    with pytest.raises(StorageUnavailable):
        read_together([Wanted(PortalSessionModel, key)])


@pytest.mark.ddblocal
def test_a_key_dynamodb_refuses_is_rejected_not_a_crash(ddb):
    with pytest.raises(StorageRejected):
        read_together([Wanted(PortalSessionModel, "k" * 2049)])


def test_a_token_names_its_ids_and_a_mangled_one_names_none():
    token = session_rules.hinted_token("s3cr-et_", "c1", "u1")

    assert session_rules.token_ids(token, 2) == ("c1", "u1")
    assert session_rules.token_ids("s3cr-et_", 2) is None  # a token from before
    assert session_rules.token_ids("c1.u/1.secret", 2) is None
    assert session_rules.token_ids("c1.u1.x.secret", 2) is None
    assert session_rules.hinted_token("secret", "c.1", "u1") == "secret"  # resumed the older way
