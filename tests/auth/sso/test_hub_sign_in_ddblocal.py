"""The batched Log In with Hub reads and writes on DynamoDB Local (real BatchGetItem and
TransactWriteItems rules): a linked user's sign-in is three calls, an unlinked company's user
opens nothing, and a just-in-time user is created with its audit entry in one transaction."""

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
    assert dict(counter.calls) == {"Query": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    _, user = sessions.resume(ddb, token)
    assert user.user_id == created.user_id
    assert identity_store.identity_of_user(created.user_id).last_hub_login_at is not None


def test_a_user_of_a_company_no_longer_linked_opens_nothing(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Batch")
    identity = _identity(ddb, hub_company_id)
    hub_login.accounts_for(ddb, identity)
    security_store.unlink_company(partner.company_id, now=ddb.clock.now(), actor="tests")
    with pytest.raises(accounts.NotLinked):
        hub_login.accounts_for(ddb, identity)
