"""A status change ends every session of the user at once, by moving their session epoch on in
the same write (no query of their sessions): a cookie taken before a deactivation is refused
after it, and a reactivation revives none. Sessions and users stored before the epoch carry none
and are at 0, so they keep working until a change."""

from __future__ import annotations

from app import app
from chalicelib.auth.session_rules import session_key
from chalicelib.portal import companies, sessions, users
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.markers import PortalUniqueModel, username_marker
from chalicelib.storage.portal.sessions import PortalSessionModel, portal_sessions
from chalicelib.storage.portal.users import PortalUserModel
from tests.portal.helpers import log_in, make_user
from tests.web_client import Reply, WebClient

ENDED = "Your session was ended"


def _signed_in(username: str) -> WebClient:
    browser = WebClient(app)
    assert log_in(browser, username).status == 303
    assert browser.get("/portal/").status == 200
    return browser


def _change(admin: WebClient, user_id: str, action: str) -> Reply:
    admin.get("/portal/admin/users")
    return admin.post(f"/portal/admin/users/{user_id}", {"action": action})


def _told_ended(browser: WebClient) -> bool:
    reply = browser.get("/portal/organizations")
    return (reply.status == 303 and reply.location.endswith("&ended=1")
            and ENDED in browser.get(reply.location).text)


def test_a_cookie_taken_before_deactivation_is_refused_after_and_after_reactivation(aws):
    company = companies.create_company(aws, "Epoch Co")
    make_user(company, "boss", role=SECURITY_ADMIN)
    victim = make_user(company, "victim", role=TECHNICIAN)
    admin, theirs = _signed_in("boss"), _signed_in("victim")
    stolen = dict(theirs.cookies)  # what an attacker copied while the session was live

    with tables.counting_calls() as calls:
        assert _change(admin, victim.user_id, "deactivate").status == 303
    assert _told_ended(theirs)
    assert _change(admin, victim.user_id, "reactivate").status == 303
    replayed = WebClient(app)
    replayed.cookies.update(stolen)
    assert replayed.get("/portal/").status == 303  # reactivation revives no session from before
    assert _signed_in("victim").get("/portal/organizations").status == 200  # a new login works
    assert store.get_user(victim.user_id).session_epoch == 2
    assert calls.calls["BatchGetItem"] == 2  # the form page, then the session with its target


def test_deactivating_reads_the_target_with_the_session_and_writes_once(aws):
    company = companies.create_company(aws, "Epoch Calls Co")
    make_user(company, "boss", role=SECURITY_ADMIN)
    victim = make_user(company, "victim", role=TECHNICIAN)
    admin = _signed_in("boss")
    admin.get("/portal/admin/users")
    with tables.counting_calls() as calls:
        reply = admin.post(f"/portal/admin/users/{victim.user_id}", {"action": "deactivate"})
    assert reply.location == "/portal/admin/users?done=user_deactivated&name=victim"
    assert dict(calls.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1}
    marker = PortalUniqueModel.get(username_marker("victim"))
    assert (marker.status, marker.session_epoch) == ("deactivated", 1)  # the login's copy too


def test_a_user_of_another_company_named_in_the_url_is_not_found_and_unchanged(aws):
    mine = companies.create_company(aws, "Mine Co")
    theirs = companies.create_company(aws, "Theirs Co")
    make_user(mine, "boss", role=SECURITY_ADMIN)
    stranger = make_user(theirs, "stranger", role=TECHNICIAN)
    admin = _signed_in("boss")
    assert _change(admin, stranger.user_id, "deactivate").status == 404
    assert store.get_user(stranger.user_id).status == "active"
    assert store.get_user(stranger.user_id).session_epoch == 0


def test_a_session_and_user_stored_before_the_epoch_keep_working(aws):
    company = companies.create_company(aws, "Before Co")
    tech = make_user(company, "tech", role=TECHNICIAN)
    token, _ = sessions.start(aws, tech)
    PortalSessionModel(session_key(token)).update(actions=[PortalSessionModel.user_epoch.remove()])
    PortalUserModel(tech.user_id).update(actions=[PortalUserModel.session_epoch.remove()])
    browser = WebClient(app)
    browser.cookies[f"lh_portal_{sessions.COOKIE}"] = token
    assert browser.get("/portal/").status == 200
    users.change_status(store.get_user(tech.user_id), users.DEACTIVATED,
                        keep_a_security_admin=True)
    assert _told_ended(browser)
    assert portal_sessions.get_session(session_key(token)) is None


def test_an_old_format_token_is_ended_by_the_epoch_too(aws):
    company = companies.create_company(aws, "Old Token Co")
    tech = make_user(company, "tech", role=TECHNICIAN)
    old_token = "plain-secret-without-ids-" + "x" * 20
    _, session = sessions.new_session(aws, tech, None)
    session.session_key = session_key(old_token)
    portal_sessions.create_session(session)
    browser = WebClient(app)
    browser.cookies[f"lh_portal_{sessions.COOKIE}"] = old_token
    assert browser.get("/portal/").status == 200
    users.change_status(store.get_user(tech.user_id), users.DEACTIVATED,
                        keep_a_security_admin=True)
    users.change_status(store.get_user(tech.user_id), users.ACTIVE, keep_a_security_admin=True)
    assert _told_ended(browser)  # active again, but this session started under epoch 0
