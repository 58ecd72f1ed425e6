"""A login by username reads one item: the username's marker carries what a login needs of its
user, written with the user and in every status change. The copy is never trusted alone: the
login's transaction is conditional on the user item holding the same values, so a stale copy
opens nothing (the login fails as any other and the copy is written again). Markers written
before the copy was kept still log in (reading the user too), and the login adds the copy."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.auth import passwords
from chalicelib.errors import LoginFailed
from chalicelib.portal import companies, portal_login, users
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import marker_backfill
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.markers import PortalUniqueModel, read_username, username_marker
from chalicelib.storage.portal.sessions import PortalSessionModel
from chalicelib.storage.portal.users import PortalUserModel
from tests.portal.helpers import PASSWORD, make_user

SOURCE = "203.0.113.9"
COPIED = ("company_id", "role", "status", "password_hash", "session_epoch")


def _sessions_of(user_id: str) -> int:
    return len(list(PortalSessionModel.by_user.query(user_id)))


def _forget_copy(username: str) -> None:
    """The marker as stored before the copy was kept: its owner only."""
    m = PortalUniqueModel
    m(username_marker(username)).update(actions=[getattr(m, n).remove() for n in COPIED])


@pytest.fixture
def company(aws):
    return companies.create_company(aws, "Copy Co")


def test_a_username_login_reads_its_marker_only(company):
    tech = make_user(company, "tina", role=TECHNICIAN)
    with tables.counting_calls() as calls:
        portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)
    assert dict(calls.calls) == {"GetItem": 1, "UpdateItem": 1, "TransactWriteItems": 1}
    assert _sessions_of(tech.user_id) == 1


def test_an_unknown_username_costs_the_same_reads_as_a_known_one(company):
    make_user(company, "tina", role=TECHNICIAN)
    counts = []
    for name, password in (("tina", "wrong-password-1"), ("nobody", "wrong-password-1")):
        with tables.counting_calls() as calls, pytest.raises(LoginFailed) as failed:
            portal_login.log_in(runtime.current(), name, password, SOURCE)
        counts.append(dict(calls.calls))
        assert failed.value.message == portal_login.ERROR
    assert counts[0] == counts[1] == {"GetItem": 1, "UpdateItem": 1}


def test_a_marker_written_before_the_copy_logs_in_and_gets_the_copy(company):
    tech = make_user(company, "tina", role=TECHNICIAN)
    _forget_copy("tina")
    with tables.counting_calls() as calls:
        portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)
    assert dict(calls.calls) == {"GetItem": 2, "UpdateItem": 1, "TransactWriteItems": 1}
    copied = read_username("tina")
    assert copied is not None and copied.fields is not None
    assert (copied.fields.status, copied.fields.role) == ("active", TECHNICIAN)
    with tables.counting_calls() as calls:
        portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)
    assert calls.calls["GetItem"] == 1
    assert _sessions_of(tech.user_id) == 2


def test_a_stale_copy_saying_active_opens_nothing_and_is_written_again(company):
    tech = make_user(company, "tina", role=TECHNICIAN)
    PortalUserModel(tech.user_id).update(actions=[PortalUserModel.status.set("deactivated")])
    with pytest.raises(LoginFailed) as failed:
        portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)
    assert failed.value.message == portal_login.ERROR
    assert _sessions_of(tech.user_id) == 0
    copied = read_username("tina")
    assert copied is not None and copied.fields is not None
    assert copied.fields.status == "deactivated"


def test_a_stale_password_hash_in_the_copy_opens_nothing(company):
    tech = make_user(company, "tina", role=TECHNICIAN)
    new_hash = passwords.hash_password("a-new-long-password-9", ())
    PortalUserModel(tech.user_id).update(actions=[PortalUserModel.password_hash.set(new_hash)])
    with pytest.raises(LoginFailed):
        portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)  # the old password
    assert _sessions_of(tech.user_id) == 0
    portal_login.log_in(runtime.current(), "tina", "a-new-long-password-9", SOURCE)
    assert _sessions_of(tech.user_id) == 1


def test_status_changes_and_updates_keep_the_copy_in_step(company):
    make_user(company, "boss", role=SECURITY_ADMIN)
    tech = make_user(company, "tina", role=TECHNICIAN)
    users.change_status(tech, users.DEACTIVATED, keep_a_security_admin=True)
    copied = read_username("tina")
    assert copied is not None and copied.fields is not None
    assert (copied.fields.status, copied.fields.session_epoch) == ("deactivated", 1)
    with tables.counting_calls() as calls, pytest.raises(LoginFailed):
        portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)
    assert "TransactWriteItems" not in calls.calls  # refused on the copy, as before on the user
    users.change_status(store.get_user(tech.user_id), users.ACTIVE, keep_a_security_admin=True)
    portal_login.log_in(runtime.current(), "tina", PASSWORD, SOURCE)
    store.update_user(tech.user_id, role=SECURITY_ADMIN)
    copied = read_username("tina")
    assert copied is not None and copied.fields is not None
    assert (copied.fields.role, copied.fields.status, copied.fields.session_epoch) == (
        SECURITY_ADMIN, "active", 2)


def test_the_upgrade_gives_older_markers_their_copy_once(company):
    tech = make_user(company, "tina", role=TECHNICIAN)
    make_user(company, "tom", role=TECHNICIAN)
    _forget_copy("tina")
    assert marker_backfill.copy_missing() == 1
    assert marker_backfill.copy_missing() == 0  # idempotent
    copied = read_username("tina")
    assert copied is not None and copied.fields is not None
    assert (copied.fields.user_id, copied.fields.status) == (tech.user_id, "active")
    with tables.counting_calls() as calls, pytest.raises(LoginFailed):
        portal_login.log_in(runtime.current(), "tina", "wrong-password-1", SOURCE)
    assert dict(calls.calls) == {"GetItem": 1, "UpdateItem": 1}  # as an unknown username
