"""The storage kit on a context's own tables: sessions, uniqueness markers, audit trails."""

from __future__ import annotations

import datetime as dt

import pytest
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import ConcurrentChange
from chalicelib.storage import tables
from chalicelib.storage.hub.markers import hub_markers
from chalicelib.storage.itdocs.audit import itdocs_audit
from chalicelib.storage.itdocs.sessions import Session, itdocs_sessions
from chalicelib.storage.portal.sessions import PortalSession, portal_sessions

NOW = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _portal_session(key: str, user_id: str = "u1", hub_sid: str | None = None) -> PortalSession:
    return PortalSession(key, user_id, "c1", NOW, NOW, NOW + dt.timedelta(hours=12), hub_sid)


def test_a_session_reads_back_as_written_and_an_id_is_never_reused(aws):
    session = _portal_session("k1", hub_sid="hub-1")
    portal_sessions.create_session(session)

    assert portal_sessions.get_session("k1") == session
    with pytest.raises(ConcurrentChange):
        portal_sessions.create_session(_portal_session("k1", user_id="someone else"))


def test_touching_a_deleted_session_leaves_it_deleted(aws):
    portal_sessions.create_session(_portal_session("k1"))
    portal_sessions.delete_session("k1")
    portal_sessions.touch_session("k1", NOW + dt.timedelta(minutes=6))
    portal_sessions.delete_session("k1")  # twice is fine

    assert portal_sessions.get_session("k1") is None


def test_sessions_end_by_user_or_by_the_hub_session_that_started_them(aws):
    for key, user_id, hub_sid in [("a", "u1", "hub-1"), ("b", "u1", None), ("c", "u2", "hub-1"),
                                  ("d", "u2", "hub-2")]:
        portal_sessions.create_session(_portal_session(key, user_id, hub_sid))

    assert portal_sessions.delete_sessions_of_hub_session("hub-1") == 2
    assert portal_sessions.delete_sessions_of_user("u1") == 1
    assert [k for k in "abcd" if portal_sessions.get_session(k)] == ["d"]


def test_an_empty_hub_session_id_is_stored_as_none(aws):
    itdocs_sessions.create_session(Session("k1", "u1", "a1", NOW, NOW, NOW, hub_sid=""))

    stored = itdocs_sessions.get_session("k1")
    assert stored is not None and stored.hub_sid is None


def test_a_session_whose_user_is_gone_reads_no_user(aws):
    assert itdocs_sessions.get_user("no-such-user") is None


def test_a_marker_is_held_once_and_released_only_by_its_owner(aws):
    with TransactWrite(connection=tables.connection()) as tx:
        hub_markers.claim(tx, "login#acme#ann", "u1")
    with pytest.raises(TransactWriteError), TransactWrite(connection=tables.connection()) as tx:
        hub_markers.claim(tx, "login#acme#ann", "u2")
    with pytest.raises(TransactWriteError), TransactWrite(connection=tables.connection()) as tx:
        hub_markers.release(tx, "login#acme#ann", owner_id="u2")
    assert hub_markers.owner("login#acme#ann") == "u1"

    with TransactWrite(connection=tables.connection()) as tx:
        hub_markers.release(tx, "login#acme#ann", owner_id="u1")
    assert hub_markers.owner("login#acme#ann") is None


def test_an_audit_trail_reads_newest_first_per_owner(aws):
    for minute in range(3):
        at = NOW + dt.timedelta(minutes=minute)
        itdocs_audit.add_audit("a1", f"{at.isoformat()}#0000", "ann", f"step {minute}", "", at)
    itdocs_audit.add_audit("a2", f"{NOW.isoformat()}#0000", "bob", "elsewhere", "", NOW)

    entries = itdocs_audit.audit_of("a1", limit=2)
    assert [e.action for e in entries] == ["step 2", "step 1"]
    assert entries[0].actor == "ann" and entries[0].at == NOW + dt.timedelta(minutes=2)
