"""Parallel first Log In with Hub callbacks for one new hub identity, on DynamoDB Local (real
TransactWriteItems conflicts): exactly one user is created, with its link, audit entry and first
session in one transaction, and every callback either signs in as that user or is refused cleanly.
Also the portal's password link: link, audit entry and session in one transaction, conditional on
the company still being linked to the identity's hub company."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import ConcurrentChange, LoginFailed
from chalicelib.itdocs import hub_sign_in
from chalicelib.itdocs import signed_in as itdocs_signed_in
from chalicelib.itdocs.policy import EDITOR
from chalicelib.portal import hub_linking, hub_login, sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage.itdocs import users as itdocs_store
from chalicelib.storage.itdocs.audit import itdocs_audit
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import portal_security_audit
from tests.conftest import unique
from tests.itdocs.helpers import make_account as make_itdocs_account
from tests.portal.helpers import PASSWORD, make_user, partner_linked_to_a_hub

pytestmark = pytest.mark.ddblocal
RACERS = 6
REFUSALS = (LoginFailed, ConcurrentChange)


def _identity(rt, hub_company_id: str, name: str) -> HubIdentity:
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=uuid.uuid4().hex,
                       email=f"{name}@example.com", email_verified=True, username=name,
                       name=name.title(), hub_company_id=hub_company_id,
                       hub_company_name="Race Hub", hub_role="User", sid="hub-sid")


def _race(callback: Callable[[], str]) -> tuple[list[str], list[BaseException]]:
    """Run the callback in parallel threads released together: who each signed in, and errors."""
    barrier = threading.Barrier(RACERS)
    signed, errors = [], []

    def run() -> None:
        barrier.wait()
        try:
            signed.append(callback())
        except BaseException as exc:  # noqa: BLE001 - each is checked by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return signed, errors


def _portal_callback(rt, identity: HubIdentity) -> str:
    """What the portal's callback does: sign in, or start the session of the one user found."""
    found = hub_login.sign_in(rt, identity, hub_login.Starting(identity.sid))
    if found.started:
        token = found.started[0]
    else:
        token, _ = hub_login.complete(rt, found.users[0], None, identity.sid)
    _, user = sessions.resume(rt, token)
    return user.user_id


def test_portal_parallel_first_callbacks_create_one_user_each_signed_in_or_refused(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Race")
    identity = _identity(ddb, hub_company_id, f"racer{uuid.uuid4().hex[:8]}")
    signed, errors = _race(lambda: _portal_callback(ddb, identity))
    created = [u for u in portal_store.users_of_company(partner.company_id)
               if u.email == identity.email]
    assert len(created) == 1, created
    assert all(isinstance(e, REFUSALS) for e in errors), errors
    assert signed and set(signed) == {created[0].user_id}
    assert [uid for uid, _ in identity_store.users_linked_to_subject(
        identity.issuer, identity.subject)] == [created[0].user_id]
    created_lines = [e.detail for e in portal_security_audit.audit_of(partner.company_id)
                     if e.detail.startswith("Created ")]
    assert created_lines == [f"Created {created[0].username} with role {TECHNICIAN}"]


def _itdocs_callback(rt, identity: HubIdentity) -> str:
    token, _ = hub_sign_in.sign_in(rt, identity, hub_sign_in.Starting(identity.sid))
    _, who = itdocs_signed_in.resume(rt, token)
    return who.user_id


def test_itdocs_parallel_first_callbacks_create_one_user_each_signed_in_or_refused(ddb):
    hub_company_id = uuid.uuid4().hex
    account = make_itdocs_account(unique("Race Docs"), hub_issuer=ddb.settings.hub_issuer,
                                  hub_company_id=hub_company_id, hub_company_name="Race Hub",
                                  jit_enabled=True, default_role=EDITOR)
    identity = _identity(ddb, hub_company_id, f"docs{uuid.uuid4().hex[:8]}")
    signed, errors = _race(lambda: _itdocs_callback(ddb, identity))
    created = [u for u in itdocs_store.users_of_account(account.account_id)
               if u.email == identity.email]
    assert len(created) == 1, created
    assert created[0].role == EDITOR and created[0].last_login_at is not None
    assert all(isinstance(e, REFUSALS) for e in errors), errors
    assert signed and set(signed) == {created[0].user_id}
    assert [e.action for e in itdocs_audit.audit_of(account.account_id)
            if e.action == "user.created"] == ["user.created"]


def _link_page_identity(rt, partner, hub_company_id: str):
    """A Security Admin with the hub user's email: only its portal password links it."""
    name = f"linker{uuid.uuid4().hex[:8]}"
    admin = make_user(partner, username=name, email=f"{name}@example.com")
    identity = _identity(rt, hub_company_id, name)
    cookie = hub_linking.seal(rt, identity, [admin.user_id])
    return admin, identity, cookie


def test_portal_password_link_signs_in_in_one_transaction(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Race")
    admin, identity, cookie = _link_page_identity(ddb, partner, hub_company_id)
    linked = hub_linking.link_with_password(ddb, cookie, admin.user_id, PASSWORD)
    _, user = sessions.resume(ddb, linked.token)
    assert user.user_id == admin.user_id
    assert identity_store.owner_of_identity(identity.issuer, identity.subject,
                                            partner.company_id) == admin.user_id
    assert any(e.action == "Linked to hub" and admin.username in e.detail
               for e in portal_security_audit.audit_of(partner.company_id))
    assert portal_store.get_user(admin.user_id).failures == 0


def test_portal_password_link_of_an_unlinked_company_writes_nothing(ddb):
    partner, hub_company_id = partner_linked_to_a_hub(ddb, "Race")
    admin, identity, cookie = _link_page_identity(ddb, partner, hub_company_id)
    security_store.unlink_company(partner.company_id, issuer=ddb.settings.hub_issuer,
                                  hub_company_id=hub_company_id, now=ddb.clock.now(),
                                  actor="tests")
    with pytest.raises(LoginFailed, match="no longer enabled"):
        hub_linking.link_with_password(ddb, cookie, admin.user_id, PASSWORD)
    assert identity_store.identity_of_user(admin.user_id) is None
    assert not any(e.action == "Linked to hub"
                   for e in portal_security_audit.audit_of(partner.company_id))
