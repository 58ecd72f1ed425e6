"""IT Docs session tokens name the account and user they read with the session, in one call; a
token whose ids were changed, another user's ids, a mangled token: no session. A token from
before (no ids) still works, reading one item at a time."""

from __future__ import annotations

import datetime as dt

import pytest

from chalicelib import runtime
from chalicelib.auth import session_rules
from chalicelib.itdocs import contacts, organizations, sessions
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.storage import tables
from chalicelib.storage.itdocs.sessions import Session, itdocs_sessions
from chalicelib.storage.itdocs.users import User, update_user
from tests.itdocs.helpers import make_account, make_user
from tests.itdocs.world import FEW, admin_of, seed_world
from tests.web_client import WebClient

PAGE = "/itdocs/organizations"


def _signed_in(client: WebClient, user: User) -> str:
    token, _ = sessions.start(runtime.current(), user)
    client.cookies["lh_itdocs_session"] = token
    return token


def _is_login(reply) -> bool:  # type: ignore[no-untyped-def]
    return reply.status in (302, 303) and reply.location.startswith("/itdocs/login")



def _stored_session(client, token: str, user_id: str, account_id: str) -> None:
    """A session stored under `token` for that user, an hour to live, in the browser's cookie."""
    now = runtime.current().clock.now()
    itdocs_sessions.create_session(Session(session_rules.session_key(token), user_id, account_id,
                                           now, now, now + dt.timedelta(hours=1)))
    client.cookies["lh_itdocs_session"] = token

def test_a_token_names_the_account_and_user_and_a_page_reads_them_with_the_session_at_once(
        aws, client):
    user = make_user(make_account())
    token = _signed_in(client, user)

    with tables.counting_calls() as calls:
        reply = client.get(PAGE)

    assert session_rules.token_ids(token, 2) == (user.account_id, user.user_id)
    assert reply.status == 200 and user.name in reply.text
    assert calls.calls == {"BatchGetItem": 1, "Query": 1}  # the session read, the list


def _with_ids(token: str, *ids: str) -> str:
    return ".".join([*ids, token.split(".")[-1]])


def test_a_token_whose_account_id_was_changed_is_no_session(aws, client):
    user = make_user(make_account())
    other = make_account()
    token = _signed_in(client, user)

    client.cookies["lh_itdocs_session"] = _with_ids(token, other.account_id, user.user_id)

    assert _is_login(client.get(PAGE))
    client.cookies["lh_itdocs_session"] = token  # the real one is untouched
    assert client.get(PAGE).status == 200


def test_a_token_naming_another_users_ids_is_no_session(aws, client):
    account = make_account()
    user, victim = make_user(account), make_user(account, name="Victim")
    token = _signed_in(client, user)

    client.cookies["lh_itdocs_session"] = _with_ids(token, victim.account_id, victim.user_id)
    reply = client.get(PAGE)

    assert _is_login(reply)
    assert "Victim" not in reply.text


def test_a_session_stored_for_another_user_than_its_token_names_is_no_session(aws, client):
    """Even a stored session whose token names someone else's ids is refused: it must name the
    user the together-read found."""
    account = make_account()
    user, victim = make_user(account), make_user(account, name="Victim")
    token = session_rules.hinted_token("secret-part", account.account_id, victim.user_id)
    _stored_session(client, token, user.user_id, account.account_id)

    assert _is_login(client.get(PAGE))
    assert itdocs_sessions.get_session(session_rules.session_key(token)) is None  # ended


@pytest.mark.parametrize("mangled", ["", ".", "a.b.c.d", "not a token", "x" * 300,
                                     "../../etc.passwd.x"])
def test_a_mangled_token_is_no_session(aws, client, mangled):
    user = make_user(make_account())
    _signed_in(client, user)

    client.cookies["lh_itdocs_session"] = mangled

    assert _is_login(client.get(PAGE))


def test_a_token_from_before_still_works_reading_one_item_at_a_time(aws, client):
    user = make_user(make_account())
    token = "plainOldToken_without-ids"
    _stored_session(client, token, user.user_id, user.account_id)

    with tables.counting_calls() as calls:
        reply = client.get(PAGE)

    assert reply.status == 200 and user.name in reply.text
    assert calls.calls == {"GetItem": 3, "Query": 1}  # session, user, account; the list


def test_an_old_token_still_reaches_an_organization_and_its_contact(aws, client):

    user = make_user(make_account())
    actor = ItDocsUser.of(user)
    made = organizations.create(runtime.current(), actor, "Contoso")
    person = contacts.create(runtime.current(), actor, made.organization_id,
                             ContactDetails("Ada", ["ada@example.com"]))
    token = "plainOldToken_without-ids"
    _stored_session(client, token, user.user_id, user.account_id)

    page = client.get(f"/itdocs/organizations/{made.organization_id}/contacts/"
                      f"{person.contact_id}")

    assert page.status == 200 and "Ada" in page.text and "Contoso" in page.text


def test_another_accounts_organization_is_not_found_through_the_together_read(aws, client):

    theirs = organizations.create(runtime.current(),
                                  ItDocsUser.of(make_user(make_account())), "Theirs")
    _signed_in(client, make_user(make_account()))

    reply = client.get(f"/itdocs/organizations/{theirs.organization_id}")

    assert reply.status == 404 and "Theirs" not in reply.text


def test_a_deactivated_user_with_a_named_token_is_signed_out(aws, client):

    user = make_user(make_account())
    token = _signed_in(client, user)
    update_user(user.user_id, status="deactivated")

    assert _is_login(client.get(PAGE))
    assert itdocs_sessions.get_session(session_rules.session_key(token)) is None


@pytest.mark.parametrize(("path", "shown"), [
    ("/itdocs/integrations/{integration}/matching?tab=matched", "Contoso"),
    ("/itdocs/integrations/{integration}/matching/{unmatched}/match-to", "Fabrikam Inc"),
    ("/itdocs/account/integrations/{integration}/logs", "<tr><td>manual</td>"),
    ("/itdocs/api/integrations/{integration}/status", '"integrationId"'),
    ("/itdocs/organizations/{organization}/contacts/{contact}", "ada@contoso.example"),
])
def test_an_old_token_still_reaches_the_pages_that_read_more_with_the_session(aws, client, path,
                                                                             shown):
    world = seed_world(runtime.current(), FEW)
    admin = admin_of(world)
    token = "plainOldToken_without-ids"
    _stored_session(client, token, admin.user_id, admin.account_id)

    reply = client.get(world.fill(path))

    assert reply.status == 200
    assert shown in reply.text
