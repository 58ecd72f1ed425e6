"""Portal session tokens name the company and user a page reads with the session (one call), and
those ids are trusted by nobody: a tampered, foreign or mangled token is no session, a token
from before still signs in, and a session naming another company shows nothing of it."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.auth import session_rules
from chalicelib.auth.session_rules import ABSOLUTE_LIFETIME, session_key
from chalicelib.portal import companies, sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.sessions import PortalSession, portal_sessions
from chalicelib.storage.portal.users import PortalUser
from tests.portal.helpers import make_partner, make_user
from tests.web_client import Reply, WebClient


def _home(client: WebClient, token: str) -> Reply:
    client.cookies[f"lh_portal_{sessions.COOKIE}"] = token
    return client.get("/portal/")


def _signed_out(reply: Reply) -> bool:
    return reply.status == 303 and reply.location.startswith("/portal/login")


def _stored_under(token: str, user: PortalUser, now: dt.datetime) -> None:
    """A session stored under `token` for `user`, as a login before this change stored them."""
    portal_sessions.create_session(PortalSession(session_key(token), user.user_id, user.company_id,
                                                 now, now, now + ABSOLUTE_LIFETIME))


def test_a_token_names_the_company_and_user_and_the_page_costs_one_read_for_them(client, aws):
    partner = make_partner()
    token, _ = sessions.start(aws, partner.admin)
    assert session_rules.token_ids(token, 2) == (partner.company.company_id,
                                                 partner.admin.user_id)
    with tables.counting_calls() as calls:
        home = _home(client, token)
    assert home.status == 200 and partner.company.name in home.text
    assert calls.calls == {"BatchGetItem": 1, "Query": 1}  # who is signed in; the customers


@pytest.mark.parametrize("part", [0, 1], ids=["company id", "user id"])
def test_a_token_with_an_id_changed_is_no_session(client, aws, part):
    mine, theirs = make_partner(), make_partner()
    token, _ = sessions.start(aws, mine.admin)
    parts = token.split(".")
    parts[part] = [theirs.company.company_id, theirs.admin.user_id][part]
    assert _signed_out(_home(client, ".".join(parts)))
    assert _home(client, token).status == 200  # the real session is untouched


def test_another_users_token_with_my_secret_is_no_session(client, aws):
    partner = make_partner()
    other = make_user(partner.company)
    mine, _ = sessions.start(aws, partner.admin)
    theirs, _ = sessions.start(aws, other)
    forged = ".".join([*theirs.split(".")[:2], mine.split(".")[2]])
    assert _signed_out(_home(client, forged))


@pytest.mark.parametrize("mangle", [
    lambda t: t + ".x", lambda t: t.replace(".", "..", 1), lambda t: "é" + t,
    lambda t: t.split(".", 1)[1], lambda t: "." * 2, lambda t: t[:-1]])
def test_a_mangled_token_is_no_session(client, aws, mangle):
    partner = make_partner()
    token, _ = sessions.start(aws, partner.admin)
    assert _signed_out(_home(client, mangle(token)))


def test_a_token_from_before_still_signs_in(client, aws, frozen_time):
    partner = make_partner()
    old = "plain-secret-from-before_0123456789abcdef"
    _stored_under(old, partner.admin, frozen_time.now())
    with tables.counting_calls() as calls:
        home = _home(client, old)
    assert home.status == 200 and partner.company.name in home.text
    assert calls.calls["GetItem"] >= 2 and "BatchGetItem" not in calls.calls


def test_a_session_stored_for_another_user_than_its_token_names_is_refused_and_deleted(
        client, aws, frozen_time):
    partner = make_partner()
    other = make_user(partner.company)
    token = session_rules.hinted_token("s" * 43, partner.company.company_id, other.user_id)
    _stored_under(token, partner.admin, frozen_time.now())
    assert _signed_out(_home(client, token))
    assert portal_sessions.get_session(session_key(token)) is None


def test_a_session_naming_another_company_shows_only_the_users_own(client, aws, frozen_time):
    mine, theirs = make_partner(), make_partner()
    token = session_rules.hinted_token("s" * 43, theirs.company.company_id, mine.admin.user_id)
    _stored_under(token, mine.admin, frozen_time.now())
    home = _home(client, token)
    assert home.status == 200
    assert mine.company.name in home.text and theirs.company.name not in home.text
    _, user = sessions.resume(aws, token)
    assert sessions.carried_company(user) is None and sessions.carried_settings(user) is None
    assert companies.company_of(user).company_id == mine.company.company_id


def test_a_user_deactivated_after_signing_in_is_signed_out_at_the_next_page(client, aws):
    partner = make_partner()
    tech = make_user(partner.company, role=TECHNICIAN)
    token, _ = sessions.start(aws, tech)
    assert _home(client, token).status == 200
    user_store.update_user(tech.user_id, status="deactivated")
    assert _signed_out(_home(client, token))
    assert portal_sessions.get_session(session_key(token)) is None
