"""Disable Login with Hub, finished at the hub by the portal tick, retried until the hub confirms.

The Disable request unlinks in the portal at once and marks the hub's unlink pending in the same
write; the Security Settings page says it waits for the hub. The tick asks the hub to forget the
module's link once no partner company uses it: a hub that answers 500 or cannot be reached leaves
everything pending (logged) and the next tick asks again; once the hub confirms, the page stops
saying it waits and no unlink is ever sent again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app import app
from chalicelib import outbound, runtime
from chalicelib.outbound import HttpResponse
from chalicelib.portal import companies, insights, scheduled
from chalicelib.portal.policy import SECURITY_ADMIN
from chalicelib.storage.hub import companies as hub_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal.companies import PortalCompany
from tests.auth.hub.helpers import Account, make_account
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport
from tests.portal.helpers import log_in, make_user, unique_name
from tests.web_client import WebClient

SECURITY = "/portal/admin/security"
PENDING = 'id="hub-unlink-pending"'
UNLINK = "/hub/modules/portal/unlink"
NEXT_TICK = dt.timedelta(minutes=5)


class FlakyHub:
    """The loopback hub, except that the first `failures` unlinks fail as `fail` says."""

    def __init__(self, inner: LoopbackTransport, failures: int, fail: str) -> None:
        self.inner = inner
        self.failures = failures
        self.fail = fail
        self.unlinks: list[str] = []  # each unlink asked: "failed" or "sent"

    def request(self, method: str, url: str, **kwargs: Any) -> HttpResponse:
        if url.endswith(UNLINK) and self.failures > 0:
            self.failures -= 1
            self.unlinks.append("failed")
            if self.fail == "timeout":
                raise outbound.Unreachable("the hub did not answer in time")
            if self.fail == "unknown":
                return HttpResponse(404, b'{"code":"not_found"}', {})
            return HttpResponse(500, b'{"code":"internal"}', {})
        if url.endswith(UNLINK):
            self.unlinks.append("sent")
        return self.inner.request(method, url, **kwargs)


def _hub_with_partners(count: int) -> tuple[Account, list[PortalCompany]]:
    """A hub company with the portal module linked, and `count` partners linked to it."""
    rt = runtime.current()
    master = make_account(company_name=unique_name("Hub Co"), username="master")
    hub_store.set_company_module(master.company.company_id, "portal",
                                 {"launch_url": "http://localhost:8000/portal/sso/launch"})
    partners = []
    for _ in range(count):
        company = companies.create_company(rt, unique_name("Partner"))
        security_store.link_company(company.company_id, issuer=rt.settings.hub_issuer,
                                    hub_company_id=master.company.company_id,
                                    hub_company_name=master.company.name, now=rt.clock.now(),
                                    actor="setup")
        partners.append(company)
    return master, partners


def _disable(client: WebClient, company: PortalCompany) -> str:
    """A Security Admin of the company clicks Disable Login with Hub; the page it lands on."""
    admin = make_user(company, role=SECURITY_ADMIN)
    client.cookies.clear()
    log_in(client, admin.username)
    client.get(SECURITY)
    reply = client.post(f"{SECURITY}/unlink", follow=True)
    assert reply.status == 200 and "Login with Hub is disabled" in reply.text
    return str(reply.text)


def _hub_links_portal(master: Account) -> bool:
    return "portal" in hub_store.get_company(master.company.company_id).linked_modules


@pytest.fixture
def hub(client: WebClient) -> LoopbackTransport:
    transport = LoopbackTransport(app, runtime.current().settings.base_url)
    use_transport(runtime.current(), transport)
    return transport


@pytest.mark.parametrize("fail", ["500", "timeout"])
def test_a_failed_hub_unlink_stays_pending_and_the_next_tick_finishes_it(
        client, hub, frozen_time, log_lines, fail):
    rt = runtime.current()
    master, (partner,) = _hub_with_partners(1)
    flaky = FlakyHub(hub, failures=1, fail=fail)
    use_transport(rt, flaky)  # type: ignore[arg-type]

    page = _disable(client, partner)
    assert PENDING in page and "waiting for the hub to confirm" in page
    assert not security_store.get_settings(partner.company_id).hub_issuer  # unlinked at once
    assert flaky.unlinks == [] and _hub_links_portal(master)  # the request never waits on it

    scheduled.tick(rt)  # the hub fails
    assert flaky.unlinks == ["failed"] and _hub_links_portal(master)
    (failed,) = log_lines.named("hub_unlink_failed")
    assert failed["hub_company_id"] == master.company.company_id
    assert failed["error"] == ("Unreachable" if fail == "timeout" else "UpstreamError")
    assert PENDING in client.get(SECURITY).text

    scheduled.tick(rt)  # not due again before the next tick's turn
    assert flaky.unlinks == ["failed"]
    frozen_time.advance(seconds=NEXT_TICK.total_seconds())
    scheduled.tick(rt)
    assert flaky.unlinks == ["failed", "sent"] and not _hub_links_portal(master)
    assert PENDING not in client.get(SECURITY).text

    for _ in range(3):  # a day of ticks later: nothing is sent again
        frozen_time.advance(hours=8)
        scheduled.tick(rt)
    assert flaky.unlinks == ["failed", "sent"]
    assert insights.tick(rt) == 0


def test_a_hub_still_used_by_another_partner_keeps_the_link_and_the_mark_clears(
        client, hub, frozen_time):
    rt = runtime.current()
    master, (leaving, staying) = _hub_with_partners(2)
    flaky = FlakyHub(hub, failures=0, fail="500")
    use_transport(rt, flaky)  # type: ignore[arg-type]

    assert PENDING in _disable(client, leaving)
    scheduled.tick(rt)
    assert flaky.unlinks == [] and _hub_links_portal(master)
    assert PENDING not in client.get(SECURITY).text
    assert security_store.get_settings(staying.company_id).hub_company_id


def test_a_partner_that_links_again_before_the_tick_keeps_the_hubs_link(client, hub):
    rt = runtime.current()
    master, (partner,) = _hub_with_partners(1)
    flaky = FlakyHub(hub, failures=0, fail="500")
    use_transport(rt, flaky)  # type: ignore[arg-type]

    _disable(client, partner)
    security_store.link_company(partner.company_id, issuer=rt.settings.hub_issuer,
                                hub_company_id=master.company.company_id,
                                hub_company_name=master.company.name, now=rt.clock.now(),
                                actor="relinked")
    scheduled.tick(rt)
    assert flaky.unlinks == [] and _hub_links_portal(master)
    assert PENDING not in client.get(SECURITY).text


def test_a_hub_company_the_hub_no_longer_knows_has_no_link_left_to_forget(
        client, hub, log_lines):
    rt = runtime.current()
    master, (partner,) = _hub_with_partners(1)
    flaky = FlakyHub(hub, failures=1, fail="unknown")
    use_transport(rt, flaky)  # type: ignore[arg-type]

    _disable(client, partner)
    scheduled.tick(rt)
    assert flaky.unlinks == ["failed"]
    assert log_lines.named("hub_unlink_company_unknown")
    assert PENDING not in client.get(SECURITY).text
    scheduled.tick(rt)
    assert flaky.unlinks == ["failed"]
