"""Hub lifecycle events reach IT Docs: deactivation, deletion, revoked access, hub logout."""

from __future__ import annotations

import datetime as dt

from chalicelib import runtime
from chalicelib.auth.hub import accounts as hub_accounts
from chalicelib.auth.lifecycle_events import LifecycleEvent
from chalicelib.errors import NotAuthenticated
from chalicelib.itdocs import deprovisioning, sessions, signed_in
from chalicelib.itdocs.policy import EDITOR
from chalicelib.storage.itdocs import users as store
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.itdocs.helpers import make_account, make_user


def linked_user(aws, hub_company_id: str = "hubco-1", subject: str = "hub-user-1"):
    account = make_account(hub_issuer=aws.settings.hub_issuer, hub_company_id=hub_company_id,
                           hub_company_name="Hub Co")
    user = make_user(account, EDITOR)
    store.link_identity(user.user_id, aws.settings.hub_issuer, subject)
    return account, user


def event(kind: str, *, company: str = "hubco-1", subject: str = "hub-user-1",
          **detail: str) -> LifecycleEvent:
    rt = runtime.current()
    return LifecycleEvent(event_id=f"e-{kind}", kind=kind, issuer=rt.settings.hub_issuer,
                          hub_company_id=company, subject=subject,
                          at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC), detail=dict(detail))


def live(token: str) -> bool:
    try:
        signed_in.resume(runtime.current(), token)
    except NotAuthenticated:
        return False
    return True


def test_a_hub_deactivation_deactivates_the_user_and_ends_their_sessions(aws):
    _, user = linked_user(aws)
    token, _ = sessions.start(aws, user)
    assert deprovisioning.handle(aws, event("user.deactivated")) == 1
    assert store.get_user(user.user_id).status == "deactivated" and not live(token)
    assert deprovisioning.handle(aws, event("user.deactivated")) == 0  # redelivery is harmless


def test_a_deletion_after_a_deactivation_still_deletes(aws):
    _, user = linked_user(aws)
    deprovisioning.handle(aws, event("user.deactivated"))
    deprovisioning.handle(aws, event("user.deleted"))
    assert store.get_user(user.user_id).status == "deleted"
    deprovisioning.handle(aws, event("user.deactivated"))
    assert store.get_user(user.user_id).status == "deleted"


def test_revoking_another_modules_access_or_another_companys_event_changes_nothing(aws):
    _, user = linked_user(aws)
    deprovisioning.handle(aws, event("access.revoked", module="portal"))
    deprovisioning.handle(aws, event("user.deactivated", company="someone-else"))
    assert store.get_user(user.user_id).status == "active"
    deprovisioning.handle(aws, event("access.revoked", module="itdocs"))
    assert store.get_user(user.user_id).status == "deactivated"


def test_hub_logout_ends_the_itdocs_sessions_it_started(aws):
    _, user = linked_user(aws)
    from_hub, _ = sessions.start(aws, user, hub_sid="sid-1")
    other, _ = sessions.start(aws, user, hub_sid="sid-2")
    deprovisioning.handle(aws, event("session.ended", sid="sid-1"))
    assert not live(from_hub) and live(other)


def test_the_hub_deactivating_a_user_reaches_itdocs_through_the_event_bus(client, aws):
    master = make_hub_account(company_name="Bus MSP", username="boss")
    member = make_hub_account(username="tech", role="User", company=master.company)
    _, user = linked_user(aws, master.company.company_id, member.user.user_id)
    token, _ = sessions.start(aws, user)
    hub_accounts.set_status(aws, master.user, member.user.user_id, "deactivated")
    assert store.get_user(user.user_id).status == "deactivated" and not live(token)


def test_a_hub_mfa_reset_ends_the_itdocs_sessions_but_keeps_the_user(client, aws):
    master = make_hub_account(company_name="Reset MSP", username="boss")
    member = make_hub_account(username="tech", role="User", company=master.company)
    _, user = linked_user(aws, master.company.company_id, member.user.user_id)
    token, _ = sessions.start(aws, user)
    hub_accounts.reset_mfa(aws, master.user, member.user.user_id)
    assert not live(token)
    assert store.get_user(user.user_id).status == "active"


def test_a_revocation_ends_sessions_only_in_its_module_and_its_hub_company(aws):
    _, user = linked_user(aws)
    token, _ = sessions.start(aws, user)
    assert deprovisioning.handle(aws, event("sessions.revoked", module="portal")) == 0
    assert deprovisioning.handle(aws, event("sessions.revoked", company="someone-else")) == 0
    assert live(token)
    assert deprovisioning.handle(aws, event("sessions.revoked", module="itdocs")) == 1
    assert not live(token) and store.get_user(user.user_id).status == "active"
    assert deprovisioning.handle(aws, event("sessions.revoked", reason="mfa_reset")) == 0
