"""The hub can never remove a partner's last active Security Admin, and its Security Admins see it.

The takeover this closes: a hub Master makes a look-alike of a portal Security Admin, gets it
linked, then deactivates it in the hub, leaving the partner company without anyone who can manage
its security settings.
"""

from __future__ import annotations

import threading

import pytest

from app import app
from chalicelib import runtime
from chalicelib.auth import lifecycle_events as events
from chalicelib.errors import ConcurrentChange
from chalicelib.portal import deprovisioning
from chalicelib.portal.policy import SECURITY_ADMIN
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal.audit import portal_security_audit
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.sso.helpers import hub_login_to_portal, use_loopback
from tests.portal.helpers import log_in, make_user, unique_name
from tests.portal.test_deprovisioning import (
    hub_admin_does,
    hub_member,
    linked_partner,
    status_of,
)
from tests.portal.test_sso_linking import master_creates
from tests.web_client import WebClient


@pytest.mark.parametrize("action", ["deactivate", "delete"])
def test_the_hub_cannot_remove_the_last_security_admin_and_the_refusal_is_shown(client,
                                                                                 action):
    linked = linked_partner()
    hub_user = hub_member(linked, linked.admin)

    hub_admin_does(client, linked, hub_user, action)

    assert status_of(linked.admin) == "active"
    admin_browser = WebClient(app)  # the Security Admin logs in with their portal password
    assert log_in(admin_browser, linked.admin.username).status == 303
    page = admin_browser.get("/portal/admin/security")
    assert page.status == 200 and "Deprovisioning refused" in page.text
    assert f"{action} {linked.admin.username}, the last active Security Admin" in page.text


def test_a_look_alike_hub_user_neither_signs_in_nor_deprovisions_the_security_admin(client):
    use_loopback()
    linked = linked_partner()
    admin = linked.admin
    look_alike = master_creates(linked.master, admin.username, admin.email)

    hub_log_in(client, look_alike)
    assert hub_login_to_portal(client).location == "/portal/sso/link"
    assert identity_store.identity_of_user(admin.user_id) is None
    client.cookies.clear()
    hub_admin_does(client, linked, look_alike.user, "deactivate")

    assert status_of(admin) == "active"
    trail = portal_security_audit.audit_of(linked.company.company_id)
    assert all(admin.username not in entry.detail for entry in trail)


def test_with_another_active_security_admin_the_deactivation_happens(client):
    linked = linked_partner()
    make_user(linked.company, role=SECURITY_ADMIN)
    hub_user = hub_member(linked, linked.admin)
    hub_admin_does(client, linked, hub_user, "deactivate")
    assert status_of(linked.admin) == "deactivated"


@pytest.mark.ddblocal
def test_on_dynamodb_local_two_racing_deactivations_leave_one_security_admin(ddb):
    linked = linked_partner()
    second = make_user(linked.company, role=SECURITY_ADMIN)
    hub_users = [hub_member(linked, user, username=unique_name("sa").replace(" ", ""))
                 for user in (linked.admin, second)]
    rt = runtime.current()
    barrier = threading.Barrier(2)

    def deactivate(hub_user_id: str) -> None:
        event = events.LifecycleEvent(event_id=hub_user_id, kind="user.deactivated",
                                      issuer=rt.settings.hub_issuer,
                                      hub_company_id=linked.master.company.company_id,
                                      subject=hub_user_id, at=rt.clock.now())
        barrier.wait()
        for _ in range(3):  # a transaction conflict is retried, as the queue redelivers it
            try:
                deprovisioning.handle(rt, event)
                return
            except ConcurrentChange:
                continue

    threads = [threading.Thread(target=deactivate, args=(u.user_id,)) for u in hub_users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status_of(user) for user in (linked.admin, second))
    assert statuses == ["active", "deactivated"]
    trail = portal_security_audit.audit_of(linked.company.company_id)
    assert sum(entry.action == "Deprovisioning refused" for entry in trail) == 1
