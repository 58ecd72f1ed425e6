"""DynamoDB calls per IT Docs request: every page and JSON endpoint, each with its budget.

Each row of ROUTES is one request a signed-in Administrator makes, in steady state (the session
was seen a moment ago, so its 5-minute last-seen touch does not fall in the request). The count is
deterministic (botocore's before-call hook), so it is asserted. The first read of every page is
one BatchGetItem: the session, its user and account, and what the URL names (organization,
contact, integration, customer). No request makes a Scan, and no page reads more for an account
with many organizations than for one with a few.

The matching screen's Matched tab (and its notice) is at 3: the session's BatchGetItem, one
Query of the integration's customer records and one Query of the account's organizations for the
names they are matched to. The recent changes travel on the customer records (each keeps its own
latest audit entries, written in the decision's transaction), so the audit trail is not queried
(`tests/sync/test_recent_changes_ddblocal.py`), except while a record stored before records kept
them remains (then a fourth call, the audit trail's Query).

At 3 since the organizations list the customers matched to them (`organization_items`): the
organization and contact pages read the listed customers' records, summaries and integrations in
one BatchGetItem (the contact page then one seats Query per matched customer and email: 3 for
one of each). Forms write their change and its audit entry in one transaction. Matching actions
write the decision, its audit entry and the organization's list in one transaction whose
condition checks the organization exists, is not being deleted and still bears the name the page
showed (read only when it does not); Accept Selected reads up to 90 selected customers with the
session and accepts up to 30 in one transaction (one per customer when that fails: someone
changed one, or an organization was renamed or is being deleted). Manual sync by API key: a key
naming its user is read with that user in one BatchGetItem. Creating an organization from the
matching screen writes the organization, its name marker, its audit entry and the match in one
transaction, then queues the sync.

Deleting an organization or an integration is 2 whatever it holds: the session's BatchGetItem
(with the organization or integration) and one transaction of the mark ("Being deleted…") and its
audit entry; the removal itself runs on the sync queue (`tests/itdocs/test_removal_worker.py`).
Connect and Change API keys store the keys ("Checking keys...") and queue their check, so the
request never waits for the vendor; the check's worker calls the vendor's REST API (here the
portal's own, served in-process), and its own calls are counted apart from the REST API's
(`test_the_key_check_counts_its_own_calls_apart_from_the_vendors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.itdocs import contacts
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.itdocs.policy import READ_ONLY
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from tests.fakes import hold_sync_queue, use_transport
from tests.itdocs.helpers import sign_in
from tests.itdocs.world import FEW, MANY, SEAT_EMAIL, World, admin_of, seed_world
from tests.loopback import CountingTransport
from tests.portal.helpers import make_partner
from tests.sync.helpers import serve_portal
from tests.web_client import WebClient


@dataclass(frozen=True)
class Route:
    """One request: method, path (placeholders filled from the world), form, status, budget."""

    name: str
    path: str
    method: str = "GET"
    form: dict[str, str] = field(default_factory=dict)
    status: int = 200
    budget: int = 3
    headers: dict[str, str] = field(default_factory=dict)


INTEGRATION = "/itdocs/account/integrations/{integration}"
MATCHING = "/itdocs/integrations/{integration}/matching"
ORGANIZATION = "/itdocs/organizations/{organization}"
CONTACT = ORGANIZATION + "/contacts/{contact}"
NEW_INTEGRATION = "/itdocs/account/integrations/new/saas-protection"

ROUTES = [
    # -- pages --------------------------------------------------------------------------------
    Route("home", "/itdocs/", status=303),
    Route("login page", "/itdocs/login", budget=0),
    Route("hub launch", "/itdocs/sso/launch", status=303),
    Route("organizations", "/itdocs/organizations"),
    Route("organization", ORGANIZATION),
    Route("organization edit", ORGANIZATION + "/edit"),
    Route("organization delete confirm", ORGANIZATION + "/delete"),
    Route("contact new", ORGANIZATION + "/contacts/new"),
    Route("contact", CONTACT),
    Route("contact edit", CONTACT + "/edit"),
    Route("users", "/itdocs/account/users"),
    Route("api keys", "/itdocs/account/api-keys"),
    Route("single sign-on", "/itdocs/account/sso"),
    Route("link to hub confirm", "/itdocs/account/sso/link"),
    Route("integrations", "/itdocs/account/integrations"),
    Route("integration new", "/itdocs/account/integrations/new"),
    Route("connect form", "/itdocs/account/integrations/new/saas-protection"),
    Route("integration options", INTEGRATION + "/edit"),
    Route("integration keys form", INTEGRATION + "/keys"),
    Route("integration logs", INTEGRATION + "/logs"),
    Route("integration delete confirm", INTEGRATION + "/delete"),
    Route("matching unmatched", MATCHING),
    Route("matching matched", MATCHING + "?tab=matched"),
    Route("matching search", MATCHING + "?tab=unmatched&q=tail"),
    Route("matching notice", MATCHING + "?tab=matched&notice=matched&customer={matched}"),
    Route("match to", MATCHING + "/{unmatched}/match-to"),
    Route("change match", MATCHING + "/{matched}/match-to"),
    Route("create organization", MATCHING + "/{unmatched}/create-organization"),
    # -- JSON ---------------------------------------------------------------------------------
    Route("status by session", "/itdocs/api/integrations/{integration}/status"),
    Route("status by api key", "/itdocs/api/integrations/{integration}/status",
          headers={"x-api-key": "{api_key}"}),
    Route("manual sync by api key", "/itdocs/api/integrations/{integration}/sync",
          method="POST", status=202, headers={"x-api-key": "{api_key}"}),
    Route("organization status", ORGANIZATION.replace("/itdocs/", "/itdocs/api/") + "/status",
          budget=1),
    # -- forms --------------------------------------------------------------------------------
    Route("create organization (form)", "/itdocs/organizations", "POST",
          {"name": "Brand New Ltd"}, 303),
    Route("rename organization", ORGANIZATION + "/edit", "POST", {"name": "Contoso Renamed"},
          303),
    Route("create contact", ORGANIZATION + "/contacts", "POST",
          {"name": "Grace", "emails": "grace@contoso.example"}, 303),
    Route("save contact", CONTACT + "/edit", "POST",
          {"name": "Ada L.", "emails": SEAT_EMAIL}, 303),
    Route("change role", "/itdocs/account/users/{reader}", "POST", {"role": "Editor"}, 303),
    Route("create api key", "/itdocs/account/api-keys", "POST", {"label": "ci"}),
    Route("revoke api key", "/itdocs/account/api-keys/{key_id}/revoke", "POST", {}, 303),
    Route("save single sign-on", "/itdocs/account/sso", "POST",
          {"default_role": READ_ONLY, "jit_enabled": "on"}, 303),
    Route("save integration options", INTEGRATION + "/edit", "POST",
          {"sync_enabled": "on", "matching": "review"}, 303),
    Route("manual sync", INTEGRATION + "/sync", "POST", {}, 303),
    Route("accept suggested", MATCHING + "/{unmatched}/accept", "POST", {}, 303),
    Route("accept selected", MATCHING + "/accept-selected", "POST",
          {"customer_id": "{unmatched}"}, 303),
    Route("ignore", MATCHING + "/{unmatched}/ignore", "POST", {}, 303),
    Route("unignore", MATCHING + "/{ignored}/unignore", "POST", {}, 303),
    Route("unmatch", MATCHING + "/{matched}/unmatch", "POST", {}, 303),
    Route("match to (form)", MATCHING + "/{unmatched}/match-to", "POST",
          {"organization_id": "{other}", "organization_name": "Fabrikam, Inc."}, 303),
    Route("create organization from matching", MATCHING + "/{unmatched}/create-organization",
          "POST", {"name": "Brand New Customer Ltd", "checked_name": "Brand New Customer Ltd"},
          303),
    Route("delete organization", ORGANIZATION + "/delete", "POST", {}, 303),
    Route("delete integration", INTEGRATION + "/delete", "POST", {}, 303),
    Route("connect (form)", NEW_INTEGRATION, "POST",
          {"public_key": "a" * 32, "secret_key": "b" * 40}, 303),
    Route("change keys (form)", INTEGRATION + "/keys", "POST",
          {"public_key": "a" * 32, "secret_key": "c" * 40}, 303),
    Route("logout", "/itdocs/logout", "POST", {}, 303, budget=1),
]


def _request(client: WebClient, world: World, route: Route):  # type: ignore[no-untyped-def]
    path = world.fill(route.path)
    headers = {k: world.fill(v) for k, v in route.headers.items()}
    if route.method == "GET":
        return client.get(path, headers=headers)
    form = {k: world.fill(v) for k, v in route.form.items()}
    if route.headers:
        return client.request("POST", path, headers=headers)
    return client.post(path, form, headers=headers)


def measure_route(aws: Runtime, client: WebClient, route: Route, organizations: int):
    world = seed_world(aws, organizations)
    hold_sync_queue(aws)
    sign_in(client, admin_of(world))
    client.get("/itdocs/organizations")  # a page seen a moment ago, and a form's CSRF token
    with tables.counting_calls() as calls:
        reply = _request(client, world, route)
    return reply, calls


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_each_route_stays_within_its_call_budget(aws, client, route):
    reply, calls = measure_route(aws, client, route, MANY)

    assert reply.status == route.status, f"{route.name}: {reply!r}"
    assert calls.calls["Scan"] == 0, f"{route.name} scanned a table"
    assert calls.total <= route.budget, (
        f"{route.name}: {calls.total} DynamoDB calls, budget {route.budget}: {dict(calls.calls)}")


LISTING = [r for r in ROUTES if r.method == "GET" and (
    "organization" in r.name or r.name.startswith(("matching", "match to", "change match")))]


@pytest.mark.parametrize("route", LISTING, ids=[r.name for r in LISTING])
def test_no_page_reads_more_for_an_account_with_more_organizations(aws, client, route):
    few = measure_route(aws, client, route, FEW)[1].calls
    client.cookies.clear()
    many = measure_route(aws, client, route, MANY)[1].calls

    assert many == few, f"{route.name}: {dict(few)} with {FEW}, {dict(many)} with {MANY}"


def test_accept_selected_reads_every_selected_customer_in_one_call(aws, client):
    world = seed_world(aws, FEW)
    hold_sync_queue(aws)
    sign_in(client, admin_of(world))
    client.get(world.fill(MATCHING))
    selected = ["2", "3", "4", "1", "999"]  # one to accept; no suggestion, ignored, matched, none

    with tables.counting_calls() as calls:
        reply = client.post(world.fill(MATCHING + "/accept-selected"), {"customer_id": selected})

    assert reply.status == 303 and "notice=bulk" in reply.location
    assert calls.calls["BatchGetItem"] == 1  # the session's read takes the five customers
    assert calls.calls["TransactWriteItems"] == 1  # the one accepted
    assert calls.calls["GetItem"] <= 1  # only the queued sync's read of the integration


KEY_CHECK_OWN = 3  # the integration read, then lifecycle.change's fresh read and its write


@pytest.mark.parametrize("form", ["connect", "change keys"])
def test_the_key_check_counts_its_own_calls_apart_from_the_vendors(aws, client, form):
    world = seed_world(aws, FEW)
    vendor = CountingTransport(serve_portal(aws))
    use_transport(aws, vendor)  # type: ignore[arg-type]
    partner = make_partner()
    held = hold_sync_queue(aws)
    sign_in(client, admin_of(world))
    path = (NEW_INTEGRATION if form == "connect" else world.fill(INTEGRATION + "/keys"))
    client.get(path)
    keys = {"public_key": partner.public_key, "secret_key": partner.secret}
    vendor.hub_calls = 0
    with tables.counting_calls() as request:
        assert client.post(path, keys).status == 303
    asked_during_request, vendor.hub_calls = vendor.hub_calls, 0

    with tables.counting_calls() as worker:
        assert held.deliver_all() == 1

    assert request.total <= 3 and asked_during_request == 0, dict(request.calls)
    assert vendor.hub_calls > 0  # the vendor was asked: its calls are its own rows (REST API)
    assert worker.total - vendor.hub_calls == KEY_CHECK_OWN, dict(worker.calls)


@pytest.mark.parametrize("path", [ORGANIZATION + "/delete", INTEGRATION + "/delete"])
def test_a_deletion_request_is_two_calls_whatever_it_removes(aws, client, path):
    world = seed_world(aws, FEW)
    admin = ItDocsUser.of(admin_of(world))
    for n in range(60):  # more than one transaction could remove: the request is not affected
        contacts.create(aws, admin, world.values["organization"], ContactDetails(f"P{n:02}", []))
    held = hold_sync_queue(aws)
    sign_in(client, admin_of(world))
    client.get("/itdocs/organizations")

    with tables.counting_calls() as calls:
        reply = client.post(world.fill(path), {})

    assert reply.status == 303 and len(held.bodies) == 1
    assert dict(calls.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1}
