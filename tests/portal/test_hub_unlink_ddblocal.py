"""The hub's unlink settled while the same partner links and disables again, on DynamoDB Local:
the tick takes off only the marks it saw, so the second Disable stays pending and the next tick
asks the hub again; and a settle racing more Disables loses none of them."""

from __future__ import annotations

import pytest

from app import app
from chalicelib import runtime
from chalicelib.portal import companies, hub_unlink, insights
from chalicelib.storage.hub import companies as hub_store
from chalicelib.storage.portal import insights as publication_store
from chalicelib.storage.portal import security_settings as security_store
from chalicelib.storage.portal.companies import PortalCompany
from tests.auth.hub.helpers import Account, make_account
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport
from tests.portal.helpers import unique_name
from tests.racing import at_once

pytestmark = pytest.mark.ddblocal

UNLINK = "/hub/modules/portal/unlink"
PARTNERS = 4


def _hub(ddb: runtime.Runtime) -> tuple[Account, LoopbackTransport, str]:
    """A hub company with the portal module linked, the loopback hub, the hub link's key."""
    transport = LoopbackTransport(app, ddb.settings.base_url)
    use_transport(ddb, transport)
    master = make_account(company_name=unique_name("Hub Co"), username="master")
    hub_store.set_company_module(master.company.company_id, "portal",
                                 {"launch_url": "http://localhost:8000/portal/sso/launch"})
    key = security_store.hub_link_key(ddb.settings.hub_issuer, master.company.company_id)
    return master, transport, key


def _link(ddb: runtime.Runtime, master: Account, company: PortalCompany) -> None:
    security_store.link_company(company.company_id, issuer=ddb.settings.hub_issuer,
                                hub_company_id=master.company.company_id,
                                hub_company_name=master.company.name, now=ddb.clock.now(),
                                actor="tests")


def _unlink(ddb: runtime.Runtime, master: Account, company: PortalCompany) -> None:
    security_store.unlink_company(company.company_id, issuer=ddb.settings.hub_issuer,
                                  hub_company_id=master.company.company_id,
                                  now=ddb.clock.now(), actor="tests")


def _unlinks(transport: LoopbackTransport) -> int:
    return sum(path == UNLINK for _, path in transport.requests)


def _tick(ddb: runtime.Runtime, master: Account) -> None:
    """The portal tick's work for this hub link (the tables are shared with other tests)."""
    insights.publish_for_hub_company(ddb, ddb.settings.hub_issuer, master.company.company_id)


def test_a_disable_made_while_the_tick_settles_stays_pending_for_the_next_tick(
        ddb, frozen_time):
    master, transport, key = _hub(ddb)
    partner = companies.create_company(ddb, unique_name("Partner"))
    _link(ddb, master, partner)
    _unlink(ddb, master, partner)
    seen = publication_store.get_publication(key)  # what the tick read
    assert seen is not None and len(seen.unlinking) == 1

    frozen_time.advance(seconds=1)  # meanwhile: linked again and disabled again
    _link(ddb, master, partner)
    _unlink(ddb, master, partner)
    assert hub_unlink.settle(ddb, seen, still_linked=False) is True
    assert _unlinks(transport) == 1
    assert security_store.get_settings(partner.company_id).hub_unlink_pending
    left = publication_store.get_publication(key)
    assert left is not None and len(left.unlinking) == 1 and left.unlinking != seen.unlinking

    _tick(ddb, master)  # the second Disable is finished at the hub too
    assert _unlinks(transport) == 2
    assert not security_store.get_settings(partner.company_id).hub_unlink_pending
    assert publication_store.get_publication(key) is None
    _tick(ddb, master)
    assert _unlinks(transport) == 2


def test_disables_racing_a_settle_are_each_finished_once(ddb, frozen_time):
    master, transport, key = _hub(ddb)
    partners = [companies.create_company(ddb, unique_name("Partner")) for _ in range(PARTNERS)]
    for partner in partners:
        _link(ddb, master, partner)
    _unlink(ddb, master, partners[0])
    seen = publication_store.get_publication(key)
    assert seen is not None

    errors = at_once([lambda: hub_unlink.settle(ddb, seen, still_linked=True),
                      *[lambda p=p: _unlink(ddb, master, p) for p in partners[1:]]])
    assert errors == []
    _tick(ddb, master)  # whatever the settle did not see is settled now, the hub asked once

    assert _unlinks(transport) == 1
    assert not any(security_store.get_settings(p.company_id).hub_unlink_pending
                   for p in partners)
    assert publication_store.get_publication(key) is None
    assert "portal" not in hub_store.get_company(master.company.company_id).linked_modules
