"""Duplicate lifecycle events handled at once, on DynamoDB Local: the copy that loses the
conditional write reads the user again and finds the work done. No error reaches the queue, the
user ends in the state asked for, and the Security Settings audit log has one entry."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from chalicelib.auth import lifecycle_events as events
from chalicelib.portal import sessions
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import companies as company_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import portal_security_audit
from chalicelib.storage.portal.users import PortalUser
from tests.portal.helpers import make_user
from tests.portal.test_deprovisioning import Linked, hub_member, linked_partner
from tests.racing import at_once
from workers.lifecycle import deliver_lifecycle_message

pytestmark = pytest.mark.ddblocal

COPIES = 8


def event_for(rt: Runtime, linked: Linked, subject: str, kind: str) -> str:
    """One lifecycle message, as the queue would deliver it (every copy carries the same id)."""
    return events.LifecycleEvent(
        event_id=f"e-{uuid.uuid4().hex}", kind=kind, issuer=rt.settings.hub_issuer,
        hub_company_id=linked.master.company.company_id, subject=subject,
        at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)).to_json()


def deliver_at_once(message: str, copies: int = COPIES) -> list[BaseException]:
    """Deliver `copies` copies of one message from as many threads, released together."""
    return at_once([lambda: deliver_lifecycle_message(message)] * copies)


def deprovisioning_entries(linked: Linked) -> list[tuple[str, str]]:
    """The company's audit entries about deprovisioning (done or refused)."""
    return [(e.action, e.detail)
            for e in portal_security_audit.audit_of(linked.company.company_id)
            if e.action in {"Automatic User Deactivation", "Deprovisioning refused"}]


def live_sessions(user: PortalUser) -> int:
    return sessions.end_all_for_user(user.user_id)


def test_duplicate_deactivations_at_once_deactivate_once_and_raise_nothing(ddb: Runtime) -> None:
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    sessions.start(ddb, tech)

    failures = deliver_at_once(event_for(ddb, linked, hub_user.user_id,
                                         events.USER_DEACTIVATED))

    assert failures == []
    assert portal_store.get_user(tech.user_id).status == "deactivated"
    assert live_sessions(tech) == 0
    assert deprovisioning_entries(linked) == [
        ("Automatic User Deactivation",
         f"Deactivated {tech.username}: the hub user was deactivated")]


def test_duplicate_deletions_of_a_security_admin_delete_once_and_refuse_nothing(
    ddb: Runtime,
) -> None:
    linked = linked_partner()  # its Security Admin stays; this second one goes
    second = make_user(linked.company, role=SECURITY_ADMIN)
    hub_user = hub_member(linked, second)

    failures = deliver_at_once(event_for(ddb, linked, hub_user.user_id, events.USER_DELETED))

    assert failures == []
    assert portal_store.get_user(second.user_id).status == "deleted"
    roster = company_store.get_company(linked.company.company_id).security_admins
    assert roster == {linked.admin.user_id}
    assert deprovisioning_entries(linked) == [
        ("Automatic User Deactivation",
         f"Deleted {second.username}: the hub user was deleted")]
