"""The portal publishes its security posture to the hub; the hub dashboard shows it."""

from __future__ import annotations

import datetime as dt

import pytest

from app import app
from chalicelib import outbound, runtime
from chalicelib.errors import ConcurrentChange
from chalicelib.portal import companies, insights, scheduled, security_settings
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.hub import companies as hub_store
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import insights as publication_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal.companies import PortalCompany
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport
from tests.portal.helpers import make_user, unique_name
from tests.web_client import WebClient


@pytest.fixture
def loopback(client: WebClient) -> LoopbackTransport:
    rt = runtime.current()
    transport = LoopbackTransport(app, rt.settings.base_url)
    use_transport(rt, transport)
    return transport


def linked(master: Account | None = None, name: str | None = None) -> tuple[Account,
                                                                             PortalCompany]:
    """A partner linked to a hub company on both sides (as after Enable Login with Hub)."""
    rt = runtime.current()
    master = master or make_account(company_name=unique_name("Hub Co"), username="master")
    hub_store.set_company_module(master.company.company_id, "portal",
                                 {"launch_url": "http://localhost:8000/portal/sso/launch"})
    company = companies.create_company(rt, name or unique_name("Partner"))
    security_store.link_company(company.company_id, issuer=rt.settings.hub_issuer,
                                hub_company_id=master.company.company_id,
                                hub_company_name=master.company.name, now=rt.clock.now(),
                                actor="setup")
    return master, company


def dashboard(account: Account) -> str:
    browser = WebClient(app)
    assert log_in(browser, account).status == 303
    return browser.get("/hub/").text


def test_a_linked_partners_posture_shows_on_its_hub_dashboard(client, loopback):
    master, company = linked()
    admin = make_user(company, username=unique_name("admin").replace(" ", ""),
                      role=SECURITY_ADMIN)
    rt = runtime.current()
    identity_store.link_identity(admin.user_id, company.company_id, rt.settings.hub_issuer,
                                 master.user.user_id, rt.clock.now())
    make_user(company, username="tech" + unique_name("").strip(), role=TECHNICIAN)

    assert insights.publish_for_company(rt, company.company_id) is True

    page = dashboard(master)
    assert "Require Log In with Hub is off" in page
    assert "1 user has never signed in with the hub" in page and admin.username not in page
    other = make_account(company_name=unique_name("Other"), username="olga")
    assert "Require Log In with Hub is off" not in dashboard(other)


def test_nothing_is_sent_when_nothing_changed_and_a_change_is_sent(client, loopback):
    master, company = linked()
    admin = make_user(company, role=SECURITY_ADMIN)
    rt = runtime.current()
    assert insights.publish_for_company(rt, company.company_id) is True
    sent = len(loopback.requests)

    with tables.counting_calls() as counter:
        assert insights.publish_for_company(rt, company.company_id) is False
    assert len(loopback.requests) == sent
    assert not {"PutItem", "UpdateItem", "DeleteItem", "Scan"} & set(counter.calls)

    security_store.set_options(company.company_id, now=rt.clock.now(), actor=admin.username,
                               require_hub_login=True)
    assert insights.publish_for_company(rt, company.company_id) is True
    assert "Require Log In with Hub is off" not in dashboard(master)


def test_the_daily_tick_notices_users_without_a_recent_login(client, loopback, frozen_time):
    master, company = linked()
    make_user(company, username="sleepy" + unique_name("").strip(), role=TECHNICIAN)
    rt = runtime.current()
    insights.publish_for_company(rt, company.company_id)
    assert "not logged in for 30 days" not in dashboard(master)

    frozen_time.advance(seconds=int(dt.timedelta(hours=2).total_seconds()))
    sent = len(loopback.requests)
    scheduled.tick(rt)  # nothing is due yet
    assert len(loopback.requests) == sent

    frozen_time.advance(seconds=int(dt.timedelta(days=31).total_seconds()))
    scheduled.tick(rt)
    page = dashboard(master)
    assert "1 user has not logged in for 30 days" in page and "sleepy" in page


def test_two_partners_linked_to_one_hub_company_are_both_shown(client, loopback):
    master, first = linked(name=unique_name("First Partner"))
    _, second = linked(master, name=unique_name("Second Partner"))
    insights.publish_for_company(runtime.current(), second.company_id)
    page = dashboard(master)
    assert f"{first.name}: Require Log In with Hub is off" in page
    assert f"{second.name}: Require Log In with Hub is off" in page


def test_an_unlinked_partner_publishes_nothing(client, loopback):
    company = companies.create_company(runtime.current(), unique_name("Alone"))
    assert insights.publish_for_company(runtime.current(), company.company_id) is False
    assert loopback.requests == []


class HubDown:
    """A transport for a hub that cannot be reached."""

    def request(self, method: str, url: str, **_: object) -> None:
        raise outbound.Unreachable("hub could not be reached")


def test_a_hub_outage_at_the_tick_is_logged_and_sent_later(client, loopback, frozen_time,
                                                           log_lines):
    master, company = linked()  # linking marks the insights due; the tick sends them
    rt = runtime.current()
    use_transport(rt, HubDown())  # type: ignore[arg-type]
    assert insights.tick(rt) == 0
    (failed,) = log_lines.named("insights_publish_failed")
    assert failed["hub_company_id"] == master.company.company_id

    use_transport(rt, loopback)
    scheduled.tick(rt)  # not due again before the retry
    assert "Require Log In with Hub is off" not in dashboard(master)
    frozen_time.advance(seconds=int(insights.RETRY_AFTER.total_seconds()) + 60)
    scheduled.tick(rt)
    assert "Require Log In with Hub is off" in dashboard(master)


def test_turning_require_on_reaches_the_hub_dashboard_at_the_next_portal_tick(client, loopback,
                                                                              frozen_time):
    """The change never waits on the hub: it marks the insights due in its own write, and the
    portal tick (every five minutes) publishes them, so the hub shows the change within minutes."""
    master, company = linked()
    admin = make_user(company, role=SECURITY_ADMIN)
    rt = runtime.current()
    insights.publish_for_company(rt, company.company_id)
    assert "Require Log In with Hub is off" in dashboard(master)
    sent = len(loopback.requests)

    security_settings.set_require(rt, admin, True)
    assert len(loopback.requests) == sent  # nothing was sent to the hub by the change
    frozen_time.advance(seconds=30)  # a fresh 2FA code for the second look
    assert "Require Log In with Hub is off" in dashboard(master)  # not yet published

    frozen_time.advance(seconds=30)
    scheduled.tick(rt)
    frozen_time.advance(seconds=30)
    assert "Require Log In with Hub is off" not in dashboard(master)


def test_a_change_before_any_publication_is_published_by_the_tick(client, loopback,
                                                                  frozen_time):
    master, company = linked()
    admin = make_user(company, role=SECURITY_ADMIN)
    rt = runtime.current()
    security_settings.set_auto_deactivate(rt, admin, True)
    assert "never signed in with the hub" not in dashboard(master)

    scheduled.tick(rt)
    frozen_time.advance(seconds=30)
    page = dashboard(master)
    assert "1 user has never signed in with the hub" in page
    assert "Require Log In with Hub is off" in page


def test_a_change_that_fails_leaves_no_audit_and_marks_nothing_due(client, loopback,
                                                                   frozen_time):
    """The setting, its audit line and the insights marked due are one write: a change refused
    because the link went meanwhile (another tab) leaves none of them."""
    master, company = linked()
    admin = make_user(company, role=SECURITY_ADMIN)
    rt = runtime.current()
    insights.publish_for_company(rt, company.company_id)
    trail = security_settings.audit_trail(rt, admin)
    security_store.unlink_company(company.company_id, issuer=rt.settings.hub_issuer,
                                  hub_company_id=master.company.company_id, now=rt.clock.now(),
                                  actor="other tab")
    frozen_time.advance(seconds=int(dt.timedelta(days=2).total_seconds()))
    key = security_store.hub_link_key(rt.settings.hub_issuer, master.company.company_id)
    before = publication_store.get_publication(key)
    assert before is not None and before.next_due_at < rt.clock.now()

    entry = security_settings.audit_entry(rt, company.company_id, admin.username,
                                          "Require Log In with Hub", "on")
    link = (rt.settings.hub_issuer, master.company.company_id)
    with pytest.raises(ConcurrentChange):
        security_store.write_audited(security_store.AuditedChange(
            company.company_id, rt.clock.now(), admin.username, [entry],
            {"require_hub_login": True}, hub_link=link))
    assert security_settings.audit_trail(rt, admin) == trail
    assert not security_store.get_settings(company.company_id).require_hub_login
    assert publication_store.get_publication(key) == before


def _publication(master: Account) -> publication_store.Publication | None:
    key = security_store.hub_link_key(runtime.current().settings.hub_issuer,
                                      master.company.company_id)
    return publication_store.get_publication(key)


def test_linking_lists_the_company_on_its_hub_link_and_the_tick_publishes(client, loopback,
                                                                          frozen_time):
    """Enabling writes the link, its audit entry and the hub link's record (the company listed,
    the insights due) in one transaction; nothing is sent to the hub until the tick."""
    master, first = linked(name=unique_name("First Partner"))
    _, second = linked(master, name=unique_name("Second Partner"))
    record = _publication(master)
    assert record is not None and record.company_ids == {first.company_id, second.company_id}
    assert record.next_due_at <= runtime.current().clock.now() and loopback.requests == []

    assert insights.tick(runtime.current()) == 1
    page = dashboard(master)
    assert f"{first.name}: Require Log In with Hub is off" in page
    assert f"{second.name}: Require Log In with Hub is off" in page


def test_unlinking_one_of_two_partners_publishes_the_other_alone(client, loopback, frozen_time):
    master, first = linked(name=unique_name("First Partner"))
    _, second = linked(master, name=unique_name("Second Partner"))
    rt = runtime.current()
    scheduled.tick(rt)
    frozen_time.advance(seconds=60)
    security_store.unlink_company(first.company_id, issuer=rt.settings.hub_issuer,
                                  hub_company_id=master.company.company_id, now=rt.clock.now(),
                                  actor="tests")
    record = _publication(master)
    assert record is not None and record.company_ids == {second.company_id}

    assert insights.tick(rt) == 1
    frozen_time.advance(seconds=30)
    page = dashboard(master)
    assert f"{first.name}:" not in page and first.name not in page
    assert "Require Log In with Hub is off" in page  # the one partner left, unnamed


def test_unlinking_the_last_partner_forgets_the_hub_link_at_the_tick(client, loopback,
                                                                      frozen_time):
    master, company = linked()
    rt = runtime.current()
    scheduled.tick(rt)
    sent = len(loopback.requests)
    security_store.unlink_company(company.company_id, issuer=rt.settings.hub_issuer,
                                  hub_company_id=master.company.company_id, now=rt.clock.now(),
                                  actor="tests")
    assert insights.tick(rt) == 0  # no insights: the hub forgets them with the module's link
    assert _publication(master) is None
    assert [path for _, path in loopback.requests[sent:]] == ["/hub/modules/portal/unlink"]


def test_a_record_from_before_it_listed_companies_is_read_from_the_index_then_listed(
        client, loopback, frozen_time):
    """A hub link's record written before the list was kept (no `companies_listed`): the tick
    asks the settings' index, and the next link lists every partner the index names."""
    master, first = linked(name=unique_name("First Partner"))
    rt = runtime.current()
    model = publication_store.PortalInsightsPublicationModel
    key = security_store.hub_link_key(rt.settings.hub_issuer, master.company.company_id)
    model(key).update(actions=[model.companies_listed.remove(), model.company_ids.remove()])
    record = _publication(master)
    assert record is not None and record.company_ids is None
    assert insights.tick(rt) == 1
    assert f"Users of {first.name} can still log in" in dashboard(master)

    _, second = linked(master, name=unique_name("Second Partner"))
    record = _publication(master)
    assert record is not None and record.company_ids == {first.company_id, second.company_id}
    assert insights.tick(rt) == 1
    frozen_time.advance(seconds=30)
    page = dashboard(master)
    assert f"{first.name}: Require Log In with Hub is off" in page
    assert f"{second.name}: Require Log In with Hub is off" in page


def test_an_unchanged_posture_costs_four_reads_and_no_write(client, loopback):
    """The record (its companies), the companies with their settings (one BatchGetItem), and
    each company's users and hub identities (one Query each); nothing written or sent."""
    master, company = linked()
    make_user(company, role=SECURITY_ADMIN)
    rt = runtime.current()
    assert insights.publish_for_hub_company(rt, rt.settings.hub_issuer,
                                            master.company.company_id) is True
    sent = len(loopback.requests)
    with tables.counting_calls() as counter:
        assert insights.publish_for_hub_company(rt, rt.settings.hub_issuer,
                                                master.company.company_id) is False
    assert dict(counter.calls) == {"GetItem": 1, "BatchGetItem": 1, "Query": 2}
    assert len(loopback.requests) == sent
