"""A first Log In with Hub linked by a verified email decides from the email marker's copy of its
user and links in one transaction that holds only while the user item says the same: three calls,
and never a link the rules refuse (a stale copy, a privileged user, a user linked already)."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.auth.sso import accounts
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LoginFailed
from chalicelib.portal import hub_login, sessions, users
from chalicelib.portal.policy import READ_ONLY, SECURITY_ADMIN, TECHNICIAN
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import marker_backfill
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.markers import (
    PortalUniqueModel,
    email_copy_of,
    email_marker,
    read_username,
)
from chalicelib.storage.portal.users import PortalUser, PortalUserModel
from tests.portal.helpers import make_user, partner_linked_to_a_hub


def _identity(rt: Runtime, hub_company_id: str, email: str | None = None) -> HubIdentity:
    name = f"hubuser{uuid.uuid4().hex[:8]}"
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=uuid.uuid4().hex,
                       email=email or f"{name}@example.com", email_verified=True, username=name,
                       name=name.title(), hub_company_id=hub_company_id,
                       hub_company_name="Copy Hub", hub_role="User", sid="sid")


def _world(rt: Runtime, role: str = TECHNICIAN) -> tuple[HubIdentity, PortalUser]:
    partner, hub_company_id = partner_linked_to_a_hub(rt, "Copy")
    identity = _identity(rt, hub_company_id)
    user = make_user(partner, username=f"u-{uuid.uuid4().hex[:6]}",
                     email=identity.email.upper(), role=role)  # the same email, spelt otherwise
    return identity, user_store.get_user(user.user_id)


def _sign_in(rt: Runtime, identity: HubIdentity) -> tuple[hub_login.Found, dict[str, int]]:
    with tables.counting_calls() as calls:
        found = hub_login.sign_in(rt, identity, hub_login.Starting(identity.sid))
    return found, dict(calls.calls)


def _copy(user: PortalUser):
    marker = PortalUniqueModel.get(email_marker(user.company_id, user.email_key))
    return email_copy_of(marker)


def test_an_ordinary_user_is_linked_and_signed_in_in_three_calls(aws):
    identity, tech = _world(aws)
    found, calls = _sign_in(aws, identity)
    assert calls == {"BatchGetItem": 2, "TransactWriteItems": 1}
    assert found.started is not None and found.users == []
    session, user = sessions.resume(aws, found.started[0])
    assert user.user_id == tech.user_id and session.hub_sid == "sid"
    assert identity_store.owner_of_identity(identity.issuer, identity.subject,
                                            tech.company_id) == tech.user_id
    again, _ = _sign_in(aws, identity)  # from now on the linked user's own way
    assert [u.user_id for u in again.users] == [tech.user_id] and again.started is None


def test_a_stale_copy_never_links_a_security_admin(aws):
    """The copy says Technician, the user item says Security Admin (made so behind the copy's
    back): the transaction refuses, nothing is linked, and the answer is the rule's own: only
    the portal password links a privileged user."""
    identity, tech = _world(aws)
    PortalUserModel(tech.user_id).update(actions=[PortalUserModel.role.set(SECURITY_ADMIN)])
    assert _copy(tech).role == TECHNICIAN
    with tables.counting_calls() as calls, pytest.raises(accounts.LinkRequired) as refused:
        hub_login.sign_in(aws, identity, hub_login.Starting(identity.sid))
    assert refused.value.account_ids == [tech.user_id]
    assert identity_store.identity_of_user(tech.user_id) is None
    assert calls.calls["TransactWriteItems"] == 1  # the refused one: nothing written
    assert user_store.get_user(tech.user_id).last_login_at == tech.last_login_at


def test_a_privileged_owner_goes_to_the_link_page_without_a_write(aws):
    identity, admin = _world(aws, role=SECURITY_ADMIN)
    with tables.counting_calls() as calls, pytest.raises(accounts.LinkRequired):
        hub_login.sign_in(aws, identity, hub_login.Starting(identity.sid))
    assert dict(calls.calls) == {"BatchGetItem": 3}  # as before: the users are read
    assert identity_store.identity_of_user(admin.user_id) is None


def test_a_user_linked_to_another_hub_account_is_not_taken_over(aws):
    identity, tech = _world(aws)
    identity_store.link_identity(tech.user_id, tech.company_id, identity.issuer, "someone-else",
                                 aws.clock.now())
    with pytest.raises(LoginFailed):  # no match left, and the email is taken for a new user
        hub_login.sign_in(aws, identity, hub_login.Starting(identity.sid))
    assert identity_store.identity_of_user(tech.user_id).subject == "someone-else"
    assert identity_store.users_linked_to_subject(identity.issuer, identity.subject) == []


def test_the_copy_follows_status_changes_and_the_session_epoch(aws):
    identity, tech = _world(aws)
    off = user_store.change_status(tech, users.DEACTIVATED)
    assert (_copy(tech).status, _copy(tech).session_epoch) == (users.DEACTIVATED, 1)
    with pytest.raises(LoginFailed):  # as before: a deactivated account is not opened
        hub_login.sign_in(aws, identity, hub_login.Starting(identity.sid))
    identity_store.unlink_user(tech.user_id)
    user_store.change_status(off, users.ACTIVE)
    assert (_copy(tech).status, _copy(tech).session_epoch) == (users.ACTIVE, 2)
    found, calls = _sign_in(aws, identity)
    assert calls == {"BatchGetItem": 2, "TransactWriteItems": 1}
    _, user = sessions.resume(aws, found.started[0])  # stamped with the copied epoch: alive
    assert user.user_id == tech.user_id


def test_a_marker_from_before_the_copy_reads_the_user_until_the_upgrade(aws):
    identity, tech = _world(aws)
    marker = PortalUniqueModel(email_marker(tech.company_id, tech.email_key))
    marker.update(actions=[getattr(PortalUniqueModel, name).remove()
                           for name in ("company_id", "role", "status", "session_epoch",
                                        "email")])
    found, calls = _sign_in(aws, identity)
    assert calls == {"BatchGetItem": 3, "TransactWriteItems": 1}
    _, user = sessions.resume(aws, found.started[0])
    assert user.user_id == tech.user_id
    second, other = _world(aws)
    PortalUniqueModel(email_marker(other.company_id, other.email_key)).update(
        actions=[PortalUniqueModel.role.remove()])
    assert marker_backfill.copy_missing_emails() >= 1
    assert marker_backfill.copy_missing_emails() == 0  # idempotent
    assert _copy(other) is not None and _copy(other).role == TECHNICIAN
    _, calls = _sign_in(aws, second)
    assert calls == {"BatchGetItem": 2, "TransactWriteItems": 1}


def test_an_email_marker_gone_astray_leaves_the_username_copy_in_step(aws):
    """A copy that cannot be written (its marker is not the user's) is dropped alone: the
    change stands and the username marker's copy, which logins rely on, follows it."""
    _, tech = _world(aws)
    PortalUniqueModel(email_marker(tech.company_id, tech.email_key)).delete()
    user_store.change_status(tech, users.DEACTIVATED)
    fields = read_username(tech.username_key).fields
    assert (fields.status, fields.session_epoch) == (users.DEACTIVATED, 1)
    user_store.update_user(tech.user_id, role=READ_ONLY)
    assert read_username(tech.username_key).fields.role == READ_ONLY
    assert user_store.get_user(tech.user_id).role == READ_ONLY
