"""A portal session ended by deprovisioning: the next page says "Your session was ended" on the
login page, once, and nothing more (the local login's answers stay the same for safety)."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.auth.session_rules import session_key
from chalicelib.errors import SessionEnded
from chalicelib.portal import sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage.portal.sessions import portal_sessions
from tests.portal.helpers import PASSWORD, make_user
from tests.portal.test_deprovisioning import (
    hub_admin_does,
    hub_member,
    linked_partner,
    portal_browser,
)

ENDED = "Your session was ended"


def test_a_deprovisioned_users_next_page_says_the_session_was_ended(client):
    linked = linked_partner(auto_deactivate=False)
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    browser = portal_browser(tech)

    hub_admin_does(client, linked, hub_user, "deactivate")

    reply = browser.get("/portal/organizations")
    assert reply.status == 303
    assert reply.location == "/portal/login?next=/portal/organizations&ended=1"
    page = browser.get(reply.location)
    assert page.status == 200 and ENDED in page.text
    assert "deactivat" not in page.text.lower() and "deprovision" not in page.text.lower()
    again = browser.get("/portal/organizations")  # told once: the ended session is gone now
    assert again.status == 303 and "ended=1" not in again.location


def test_a_form_sent_with_an_ended_session_is_refused_saying_so(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    browser = portal_browser(tech)
    page = browser.get("/portal/organizations")
    assert sessions.end_all_for_user(tech.user_id) == 1
    reply = browser.post("/portal/organizations", {"name": "Acme"}, csrf=page.csrf)
    assert reply.status == 401 and ENDED in reply.text


def test_an_unknown_or_logged_out_session_gets_the_plain_login(client, aws):
    tech = make_user(linked_partner().company, role=TECHNICIAN)
    browser = portal_browser(tech)
    browser.post("/portal/logout", {}, csrf=browser.get("/portal/").csrf)
    browser.cookies["lh_portal_session"] = "made-up-token"
    reply = browser.get("/portal/")
    assert reply.status == 303 and "ended" not in reply.location
    assert ENDED not in browser.get("/portal/login").text


def test_ending_marks_live_sessions_once_and_an_ended_one_never_resumes(client, aws):
    tech = make_user(linked_partner().company, role=TECHNICIAN, password=PASSWORD)
    token, _ = sessions.start(runtime.current(), tech)
    other, _ = sessions.start(runtime.current(), tech)
    assert sessions.end_all_for_user(tech.user_id) == 2
    assert sessions.end_all_for_user(tech.user_id) == 0  # a redelivered event ends nothing more
    for ended in (token, other):
        with pytest.raises(SessionEnded):
            sessions.resume(aws, ended)
        assert portal_sessions.get_session(session_key(ended)) is None
