"""Automatic User Deactivation: hub lifecycle events deactivate or delete linked portal users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.auth import lifecycle_events as events
from chalicelib.itdocs.policy import EDITOR
from chalicelib.portal import companies, deprovisioning, sessions
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.settings import LIFECYCLE_QUEUE_NAME
from chalicelib.storage.hub.users import HubUser
from chalicelib.storage.itdocs import users as itdocs_users
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import portal_security_audit
from chalicelib.storage.portal.companies import PortalCompany
from chalicelib.storage.portal.users import PortalUser
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.itdocs import helpers as itdocs_helpers
from tests.portal.helpers import make_user, unique_name
from tests.web_client import WebClient
from workers.lifecycle import deliver_lifecycle_message


@dataclass
class Linked:
    master: Account
    company: PortalCompany
    admin: PortalUser


@pytest.fixture
def heard(client: WebClient) -> Iterator[list[events.LifecycleEvent]]:
    seen: list[events.LifecycleEvent] = []
    events.subscribe(seen.append)
    yield seen
    events.unsubscribe(seen.append)


def linked_partner(auto_deactivate: bool = True) -> Linked:
    """A hub company with a Master, and a partner linked to it with a Security Admin."""
    rt = runtime.current()
    master = make_account(company_name=unique_name("Hub Co"), username="master")
    company = companies.create_company(rt, unique_name("Partner"))
    admin = make_user(company, role=SECURITY_ADMIN)
    security_store.link_company(company.company_id, issuer=rt.settings.hub_issuer,
                                hub_company_id=master.company.company_id,
                                hub_company_name=master.company.name, now=rt.clock.now(),
                                actor=admin.username)
    if auto_deactivate:
        security_store.set_options(company.company_id, now=rt.clock.now(), actor=admin.username,
                                   auto_deactivate_users=True)
    return Linked(master, company, admin)


def hub_member(linked: Linked, portal_user: PortalUser, username: str = "tech") -> HubUser:
    """A hub user of the linked hub company, linked to `portal_user` (as after Log In with Hub)."""
    rt = runtime.current()
    hub_user = make_account(company=linked.master.company, username=username, role="User",
                            modules=["portal"]).user
    identity_store.link_identity(portal_user.user_id, portal_user.company_id,
                                 rt.settings.hub_issuer, hub_user.user_id, rt.clock.now())
    return hub_user


def portal_browser(user: PortalUser) -> WebClient:
    """A browser with a live portal session of `user`."""
    browser = WebClient(app)
    token, _ = sessions.start(runtime.current(), user)
    browser.cookies["lh_portal_session"] = token
    assert browser.get("/portal/").status == 200
    return browser


def hub_admin_does(client: WebClient, linked: Linked, target: HubUser, action: str,
                   **extra: str) -> None:
    """The hub Master uses the Users page (the hub announces the change in-process)."""
    if "lh_hub_session" not in client.cookies:
        assert log_in(client, linked.master).status == 303
    client.get("/hub/admin/users")
    confirmed = {"confirmed": "yes"} if action == "delete" else {}  # Delete's own page, then
    reply = client.post(f"/hub/admin/users/{target.user_id}",
                        {"action": action, **confirmed, **extra})
    assert reply.status == 303, reply


def status_of(user: PortalUser) -> str:
    return portal_store.get_user(user.user_id).status


def test_a_hub_deactivation_reaches_the_portal_and_ends_a_live_session(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    browser = portal_browser(tech)
    second = portal_browser(tech)

    hub_admin_does(client, linked, hub_user, "deactivate")

    assert status_of(tech) == "deactivated"
    for b in (browser, second):
        reply = b.get("/portal/")
        assert reply.status == 303 and reply.location.startswith("/portal/login")
    trail = portal_security_audit.audit_of(linked.company.company_id)
    assert trail[0].actor == "hub" and f"Deactivated {tech.username}" in trail[0].detail
    assert status_of(linked.admin) == "active"


def test_a_hub_deletion_deletes_the_portal_user(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    browser = portal_browser(tech)

    hub_admin_does(client, linked, hub_user, "delete")

    assert status_of(tech) == "deleted"
    assert browser.get("/portal/").status == 303
    assert sessions.end_all_for_user(tech.user_id) == 0


def test_the_last_security_admin_is_neither_deleted_nor_deactivated(client):
    linked = linked_partner()
    hub_user = hub_member(linked, linked.admin)
    browser = portal_browser(linked.admin)

    hub_admin_does(client, linked, hub_user, "delete")

    assert status_of(linked.admin) == "active"  # issue 13: not even deactivated
    assert browser.get("/portal/").status == 303
    trail = portal_security_audit.audit_of(linked.company.company_id)
    assert trail[0].action == "Deprovisioning refused"
    assert "last active Security Admin" in trail[0].detail


def test_a_security_admin_with_another_active_one_is_deleted(client):
    linked = linked_partner()
    make_user(linked.company, role=SECURITY_ADMIN)
    hub_user = hub_member(linked, linked.admin)
    hub_admin_does(client, linked, hub_user, "delete")
    assert status_of(linked.admin) == "deleted"


def test_revoking_partner_portal_access_deactivates_and_revoking_it_docs_does_not(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    browser = portal_browser(tech)

    hub_admin_does(client, linked, hub_user, "grant", module="itdocs")
    hub_admin_does(client, linked, hub_user, "revoke", module="itdocs")
    assert status_of(tech) == "active" and browser.get("/portal/").status == 200

    hub_admin_does(client, linked, hub_user, "revoke", module="portal")
    assert status_of(tech) == "deactivated"
    assert browser.get("/portal/").status == 303


def test_a_redelivered_event_is_harmless(client, heard):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    hub_admin_does(client, linked, hub_user, "deactivate")
    (event,) = [e for e in heard if e.kind == "user.deactivated"]
    trail_before = portal_security_audit.audit_of(linked.company.company_id)

    deliver_lifecycle_message(event.to_json())  # as the queue handler would, twice
    deliver_lifecycle_message(event.to_json())

    assert status_of(tech) == "deactivated"
    assert portal_security_audit.audit_of(linked.company.company_id) == trail_before
    outcome = deprovisioning.handle(runtime.current(), event)
    assert [(o.changed, o.status, o.sessions_ended) for o in outcome] == [
        (False, "deactivated", 0)]


def test_a_late_deactivation_does_not_undo_a_deletion(client, heard):
    linked = linked_partner()
    make_user(linked.company, role=SECURITY_ADMIN)
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    hub_admin_does(client, linked, hub_user, "deactivate")
    hub_admin_does(client, linked, hub_user, "delete")
    assert status_of(tech) == "deleted"
    (deactivated,) = [e for e in heard if e.kind == "user.deactivated"]
    deliver_lifecycle_message(deactivated.to_json())
    assert status_of(tech) == "deleted"


def test_with_automatic_deactivation_off_the_user_stays_active_but_their_sessions_end(client):
    linked = linked_partner(auto_deactivate=False)
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    browser = portal_browser(tech)

    hub_admin_does(client, linked, hub_user, "deactivate")

    assert status_of(tech) == "active"  # the status is the company's choice...
    reply = browser.get("/portal/")  # ...ending the sessions is not
    assert reply.status == 303 and reply.location.startswith("/portal/login")
    assert portal_security_audit.audit_of(linked.company.company_id) == []
    page = portal_browser(linked.admin).get("/portal/admin/security")
    assert "Ending sessions is not optional" in page.text


def itdocs_browser(linked: Linked, hub_user: HubUser) -> WebClient:
    """A browser with a live IT Docs session of the IT Docs user linked to `hub_user`."""
    rt = runtime.current()
    account = itdocs_helpers.make_account(hub_issuer=rt.settings.hub_issuer,
                                          hub_company_id=linked.master.company.company_id,
                                          hub_company_name=linked.master.company.name)
    user = itdocs_helpers.make_user(account, EDITOR, email=hub_user.email)
    itdocs_users.link_identity(user.user_id, rt.settings.hub_issuer, hub_user.user_id)
    browser = WebClient(app)
    itdocs_helpers.sign_in(browser, user)
    assert browser.get("/itdocs/organizations").status == 200
    return browser


@pytest.mark.parametrize("action", ["reset_mfa", "deactivate"])
def test_a_hub_masters_kill_ends_the_signed_in_portal_and_it_docs_sessions(client, action):
    linked = linked_partner(auto_deactivate=False)
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    portal = portal_browser(tech)
    itdocs = itdocs_browser(linked, hub_user)

    hub_admin_does(client, linked, hub_user, action)

    reply = portal.get("/portal/")
    assert reply.status == 303 and reply.location.startswith("/portal/login")
    reply = itdocs.get("/itdocs/organizations")
    assert reply.status == 303 and reply.location.startswith("/itdocs/login")
    assert status_of(tech) == "active"  # Automatic User Deactivation is off


def test_a_forged_revocation_from_another_hub_company_ends_nothing(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    browser = portal_browser(tech)
    rt = runtime.current()
    forged = events.LifecycleEvent(event_id="e2", kind=events.SESSIONS_REVOKED,
                                   issuer=rt.settings.hub_issuer,
                                   hub_company_id="another-hub-company",
                                   subject=hub_user.user_id, at=rt.clock.now())
    deliver_lifecycle_message(forged.to_json())
    assert browser.get("/portal/").status == 200


def test_an_event_from_another_hub_company_changes_nothing(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    rt = runtime.current()
    forged = events.LifecycleEvent(event_id="e1", kind="user.deactivated",
                                   issuer=rt.settings.hub_issuer,
                                   hub_company_id="another-hub-company",
                                   subject=hub_user.user_id, at=rt.clock.now())
    deliver_lifecycle_message(forged.to_json())
    assert status_of(tech) == "active"


def test_only_the_users_linked_partner_companies_are_touched(client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    other = linked_partner(auto_deactivate=False)
    rt = runtime.current()
    elsewhere = make_user(other.company, role=TECHNICIAN, email=tech.email)
    identity_store.link_identity(elsewhere.user_id, other.company.company_id,
                                 rt.settings.hub_issuer, hub_user.user_id, rt.clock.now())

    hub_admin_does(client, linked, hub_user, "deactivate")

    assert status_of(tech) == "deactivated" and status_of(elsewhere) == "active"


@pytest.mark.ddblocal
def test_on_dynamodb_local_a_deactivation_ends_a_live_session_once(ddb_client):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech, username=unique_name("tech").replace(" ", ""))
    browser = portal_browser(tech)

    hub_admin_does(ddb_client, linked, hub_user, "deactivate")

    assert status_of(tech) == "deactivated"
    assert browser.get("/portal/").status == 303
    event = events.LifecycleEvent(event_id="again", kind="user.deactivated",
                                  issuer=runtime.current().settings.hub_issuer,
                                  hub_company_id=linked.master.company.company_id,
                                  subject=hub_user.user_id, at=runtime.current().clock.now())
    assert [o.changed for o in deprovisioning.handle(runtime.current(), event)] == [False]


def test_the_lifecycle_queue_handler_applies_each_message(client, heard):
    linked = linked_partner()
    tech = make_user(linked.company, role=TECHNICIAN)
    hub_user = hub_member(linked, tech)
    rt = runtime.current()
    event = events.LifecycleEvent(event_id="q1", kind="user.deleted",
                                  issuer=rt.settings.hub_issuer,
                                  hub_company_id=linked.master.company.company_id,
                                  subject=hub_user.user_id, at=rt.clock.now())
    with Client(app) as lambda_client:
        sqs_event = lambda_client.events.generate_sqs_event(
            message_bodies=[event.to_json(), event.to_json()], queue_name=LIFECYCLE_QUEUE_NAME)
        lambda_client.lambda_.invoke("lifecycle_events", sqs_event)
    assert status_of(tech) == "deleted"
    assert [e.event_id for e in heard] == ["q1", "q1"]
