"""A portal status change on DynamoDB Local: the status, the session epoch, the Security Admin
roster and the username marker's login copy are one transaction whose failed items tell a lost
race from a last Security Admin without reading again; logins racing a deactivation leave no
session that still opens a page."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.errors import (
    ConcurrentChange,
    LastSecurityAdmin,
    LoginFailed,
    NotAuthenticated,
    SessionEnded,
)
from chalicelib.portal import companies, portal_login, sessions, users
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import companies as company_store
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.markers import PortalUniqueModel, read_username, username_marker
from chalicelib.storage.portal.sessions import PortalSessionModel
from chalicelib.storage.portal.users import PortalUserModel
from tests.conftest import unique
from tests.portal.helpers import PASSWORD, make_user

pytestmark = pytest.mark.ddblocal

LOGINS = 12


def _name() -> str:
    return unique("u").replace(" ", "-")


def test_a_deactivation_writes_status_epoch_roster_and_copy_together(ddb):
    company = companies.create_company(ddb, unique("Epoch Partner"))
    make_user(company, _name(), role=SECURITY_ADMIN)
    second = make_user(company, _name(), role=SECURITY_ADMIN)
    token, _ = sessions.start(ddb, second)

    after = users.change_status(second, users.DEACTIVATED, keep_a_security_admin=True)

    stored = store.get_user(second.user_id)
    assert (stored.status, stored.session_epoch) == (after.status, after.session_epoch) == (
        "deactivated", 1)
    assert second.user_id not in (company_store.get_company(company.company_id).security_admins
                                  or set())
    copied = read_username(users.username_key(second.username))
    assert copied is not None and copied.fields is not None
    assert (copied.fields.status, copied.fields.session_epoch) == ("deactivated", 1)
    with pytest.raises(SessionEnded):
        sessions.resume(ddb, token)


def test_the_failed_items_tell_a_lost_race_from_the_last_security_admin(ddb):
    company = companies.create_company(ddb, unique("Race Partner"))
    only = make_user(company, _name(), role=SECURITY_ADMIN)
    with pytest.raises(LastSecurityAdmin):  # only the roster's condition fails
        users.change_status(only, users.DEACTIVATED, keep_a_security_admin=True)
    assert store.get_user(only.user_id).status == "active"

    other = make_user(company, _name(), role=SECURITY_ADMIN)
    users.change_status(other, users.DEACTIVATED, keep_a_security_admin=True)
    with pytest.raises(ConcurrentChange):  # the user changed first (a stale copy of them)
        users.change_status(other, users.DELETED, keep_a_security_admin=True)
    assert store.get_user(other.user_id).status == "deactivated"


def test_logins_racing_a_deactivation_leave_no_session_that_opens_a_page(ddb):
    company = companies.create_company(ddb, unique("Racing Partner"))
    make_user(company, _name(), role=SECURITY_ADMIN)
    tech = make_user(company, _name(), role=TECHNICIAN)
    start = threading.Barrier(LOGINS + 1)

    def log_in(_: int) -> str | None:
        start.wait()
        try:
            return portal_login.log_in(ddb, tech.username, PASSWORD, "203.0.113.9")[0]
        except (LoginFailed, ConcurrentChange):
            return None

    def deactivate(_: int) -> None:
        start.wait()
        users.change_status(tech, users.DEACTIVATED, keep_a_security_admin=True)

    with ThreadPoolExecutor(LOGINS + 1) as pool:
        logins = [pool.submit(log_in, n) for n in range(LOGINS)]
        pool.submit(deactivate, 0).result()
        tokens = [login.result() for login in logins]
    assert store.get_user(tech.user_id).status == "deactivated"
    for token in filter(None, tokens):
        with pytest.raises((SessionEnded, NotAuthenticated)):
            sessions.resume(ddb, token)
    users.change_status(store.get_user(tech.user_id), users.ACTIVE, keep_a_security_admin=True)
    for token in filter(None, tokens):  # reactivation revives none of them
        with pytest.raises(NotAuthenticated):
            sessions.resume(ddb, token)
    assert not list(PortalSessionModel.by_user.query(tech.user_id))


def test_a_login_adds_the_copy_to_an_older_marker_and_refuses_on_a_stale_one(ddb):
    company = companies.create_company(ddb, unique("Copy Partner"))
    tech = make_user(company, _name(), role=TECHNICIAN)
    key = users.username_key(tech.username)
    m = PortalUniqueModel
    m(username_marker(key)).update(actions=[m.company_id.remove(), m.role.remove(),
                                            m.status.remove(), m.password_hash.remove()])
    assert read_username(key).fields is None  # as written before the copy was kept
    portal_login.log_in(ddb, tech.username, PASSWORD, "203.0.113.9")
    copied = read_username(key).fields
    assert copied is not None and (copied.status, copied.role) == ("active", TECHNICIAN)

    PortalUserModel(tech.user_id).update(actions=[PortalUserModel.status.set("deactivated")])
    with pytest.raises(LoginFailed):  # the copy still said active: the transaction refused
        portal_login.log_in(ddb, tech.username, PASSWORD, "203.0.113.9")
    assert read_username(key).fields.status == "deactivated"
    assert len(list(PortalSessionModel.by_user.query(tech.user_id))) == 1  # the first login's
