"""The batched Log In with Hub reads and writes on DynamoDB Local (real BatchGetItem and
TransactWriteItems rules): a linked user's sign-in is three calls, a first one too, an unlinked
company's user opens nothing, a just-in-time user is created with its audit entry in one
transaction, and an identity linked before it had its own item still opens its user."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.auth.sso import accounts
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.portal import hub_login, sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import portal_security_audit
from tests.portal.helpers import partner_linked_to_a_hub

pytestmark = pytest.mark.ddblocal


def _identity(rt, hub_company_id: str) -> HubIdentity:
    name = f"nina{uuid.uuid4().hex[:8]}"
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=uuid.uuid4().hex,
                       email=f"{name}@example.com", email_verified=True, username=name,
                       name=name.title(), hub_company_id=hub_company_id,
                       hub_company_name="Batch Hub", hub_role="User", sid="sid")


def test_jit_user_and_audit_together_then_a_linked_sign_in_in_three_calls(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Batch")
    identity = _identity(ddb, hub_company_id)
    (created,) = hub_login.accounts_for(ddb, identity)
    created_lines = [e.detail for e in portal_security_audit.audit_of(partner.company_id)
                     if e.detail.startswith("Created ")]
    assert created_lines == [f"Created {created.username} with role {TECHNICIAN}"]
    with tables.counting_calls() as counter:
        (again,) = hub_login.accounts_for(ddb, identity)
        token, _ = hub_login.complete(ddb, again, None, identity.sid)
    assert again.user_id == created.user_id
    # the identity's item with the hub link's record, the user with its company's settings, and
    # the session's transaction
    assert dict(counter.calls) == {"BatchGetItem": 2, "TransactWriteItems": 1}
    _, user = sessions.resume(ddb, token)
    assert user.user_id == created.user_id
    assert identity_store.identity_of_user(created.user_id).last_hub_login_at is not None


def test_a_user_of_a_company_no_longer_linked_opens_nothing(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Batch")
    identity = _identity(ddb, hub_company_id)
    hub_login.accounts_for(ddb, identity)
    security_store.unlink_company(partner.company_id, issuer=ddb.settings.hub_issuer,
                                  hub_company_id=hub_company_id, now=ddb.clock.now(),
                                  actor="tests")
    with pytest.raises(accounts.NotLinked):
        hub_login.accounts_for(ddb, identity)


def test_a_first_sign_in_creates_its_user_in_three_calls(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "First")
    identity = _identity(ddb, hub_company_id)
    with tables.counting_calls() as counter:
        found = hub_login.sign_in(ddb, identity, hub_login.Starting(identity.sid))
    (created,) = found.users
    assert found.started is not None and created.company_id == partner.company_id
    # the identity's item (none) with the hub link's record, the markers with the companies and
    # their settings, and the user with its link, audit entry and session
    assert dict(counter.calls) == {"BatchGetItem": 2, "TransactWriteItems": 1}
    _, user = sessions.resume(ddb, found.started[0])
    assert user.user_id == created.user_id


def test_an_identity_linked_before_its_item_was_kept_opens_its_user(ddb):
    """A link stored before identities had their own item (only the two markers): the first-time
    read finds the identity's marker in the company, so the user is signed in, never created
    again nor sent to the Link page."""
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Legacy")
    identity = _identity(ddb, hub_company_id)
    (created,) = hub_login.accounts_for(ddb, identity)
    item = identity_store.PortalHubIdentityModel(
        identity_store.links_key(identity.issuer, identity.subject))
    item.delete()  # as stored before the item was kept
    with tables.counting_calls() as counter:
        (again,) = hub_login.accounts_for(ddb, identity)
    assert again.user_id == created.user_id
    assert dict(counter.calls) == {"BatchGetItem": 3}  # one more than a linked user's, until
    # the one-off upgrade lists the identity again
    same_email = [u for u in portal_store.users_of_company(partner.company_id)
                  if u.email == identity.email]
    assert [u.user_id for u in same_email] == [created.user_id]


def test_forgetting_a_users_identity_takes_it_off_the_identitys_item(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Forget")
    identity = _identity(ddb, hub_company_id)
    (created,) = hub_login.accounts_for(ddb, identity)
    item = identity_store.PortalHubIdentityModel.get(
        identity_store.links_key(identity.issuer, identity.subject), consistent_read=True)
    assert identity_store.links_of(item) == [(created.user_id, partner.company_id)]
    identity_store.unlink_user(created.user_id)
    item.refresh(consistent_read=True)
    assert identity_store.links_of(item) == []
