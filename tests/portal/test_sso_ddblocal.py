"""Log In with Hub on DynamoDB Local: racing first logins create exactly one user."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.auth.sso import accounts
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.portal import hub_login, security_settings, sessions
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import users as portal_store
from tests.portal.helpers import make_user, partner_linked_to_a_hub
from tests.racing import at_once

pytestmark = pytest.mark.ddblocal


def _identity(rt, hub_company_id: str) -> HubIdentity:
    name = f"racer{uuid.uuid4().hex[:8]}"
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=uuid.uuid4().hex,
                       email=f"{name}@example.com", email_verified=True, username=name,
                       name=name.title(), hub_company_id=hub_company_id,
                       hub_company_name="Race Hub", hub_role="User", sid="sid")


def test_racing_first_logins_create_exactly_one_user_with_the_chosen_role(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Race")
    identity = _identity(ddb, hub_company_id)
    racers = 6
    results: list[str] = []

    def first_login() -> None:
        (user,) = hub_login.accounts_for(ddb, identity)
        results.append(user.user_id)

    failures = at_once([first_login] * racers)
    assert not failures, failures
    created = [u for u in portal_store.users_of_company(partner.company_id)
               if u.email == identity.email]
    assert len(created) == 1
    assert created[0].role == TECHNICIAN and created[0].username == identity.username
    assert set(results) == {created[0].user_id}
    assert [uid for uid, _ in identity_store.users_linked_to_subject(
        identity.issuer, identity.subject)] == [created[0].user_id]


def test_companies_linked_to_a_hub_company_are_found_by_index(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Race")
    assert security_settings.companies_linked_to(ddb, ddb.settings.hub_issuer,
                                                 hub_company_id) == [partner.company_id]


def test_racing_first_logins_linked_by_email_link_once_and_sign_in_once_each(ddb):
    """A verified email links an ordinary user and signs in with the link (one transaction):
    racing first logins link the user once, and every racer opens that same user."""
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Email Race")
    identity = _identity(ddb, hub_company_id)
    tech = make_user(partner, username=f"tech-{uuid.uuid4().hex[:6]}", email=identity.email,
                     role=TECHNICIAN)
    racers = 5
    results: list[hub_login.Found] = []

    def first_login() -> None:
        results.append(hub_login.sign_in(ddb, identity, hub_login.Starting(identity.sid)))

    failures = at_once([first_login] * racers)
    assert not failures, failures
    assert {u.user_id for found in results for u in found.users} == {tech.user_id}
    started = [found.started for found in results if found.started]
    assert len(started) == 1  # the winner signed in with its link; the others sign in after
    _, user = sessions.resume(ddb, started[0][0])
    assert user.user_id == tech.user_id
    assert [uid for uid, _ in identity_store.users_linked_to_subject(
        identity.issuer, identity.subject)] == [tech.user_id]


def test_a_link_by_the_email_markers_copy_holds_only_while_the_user_says_the_same(ddb):
    """On DynamoDB itself: the link decided from the email marker's copy is refused while the
    user item says otherwise (made Security Admin behind the copy), and made in three calls once
    it says the same again."""
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Copy")
    identity = _identity(ddb, hub_company_id)
    tech = make_user(partner, username=f"tech-{uuid.uuid4().hex[:6]}", email=identity.email,
                     role=TECHNICIAN)
    role = portal_store.PortalUserModel.role
    portal_store.PortalUserModel(tech.user_id).update(actions=[role.set(SECURITY_ADMIN)])
    with pytest.raises(accounts.LinkRequired):
        hub_login.sign_in(ddb, identity, hub_login.Starting(identity.sid))
    assert identity_store.identity_of_user(tech.user_id) is None
    portal_store.PortalUserModel(tech.user_id).update(actions=[role.set(TECHNICIAN)])
    with tables.counting_calls() as calls:
        found = hub_login.sign_in(ddb, identity, hub_login.Starting(identity.sid))
    assert dict(calls.calls) == {"BatchGetItem": 2, "TransactWriteItems": 1}
    assert found.started is not None
    _, user = sessions.resume(ddb, found.started[0])
    assert user.user_id == tech.user_id
