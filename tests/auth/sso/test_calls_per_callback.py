"""DynamoDB calls of a "Log In with Hub" callback, per case, for the portal and IT Docs.

A callback redeems its code at the hub's token endpoint (another HTTP request, served in-process
here by the loopback transport) and then finds, links or creates the module's account and starts
its session. Each row counts both parts apart: the hub's token request (its own budget, 3), and
the module's own calls. The counts are deterministic; each row fails naming its case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import runtime
from chalicelib.errors import NotAuthenticated
from chalicelib.itdocs import hub_sign_in
from chalicelib.itdocs import signed_in as itdocs_signed_in
from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR
from chalicelib.portal import companies, security_settings, sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.hub import users as hub_users
from chalicelib.storage.itdocs import users as itdocs_users
from chalicelib.storage.portal import hub_identities as identity_store
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.auth.sso.helpers import (
    hub_login_and_link,
    link_directly,
    path_of,
    use_loopback,
)
from tests.fakes import use_transport
from tests.itdocs.helpers import make_account as make_itdocs_account
from tests.itdocs.helpers import make_user as make_itdocs_user
from tests.itdocs.helpers import sign_in as itdocs_sign_in
from tests.loopback import CountingTransport
from tests.portal.helpers import PASSWORD, make_user
from tests.portal.helpers import log_in as portal_log_in
from tests.web_client import Reply, WebClient

HUB_TOKEN_BUDGET = 3
BUDGET = 3  # the module's own calls per request


@dataclass
class Split:
    """One request's calls: the hub's (token endpoint, through the transport) and the module's."""

    hub: int = 0
    module: int = 0
    operations: dict[str, int] | None = None


@contextmanager
def split_calls(transport: CountingTransport) -> Iterator[Split]:
    split = Split()
    transport.hub_calls = 0
    with tables.counting_calls() as counter:
        yield split
    split.hub = transport.hub_calls
    split.module = counter.total - transport.hub_calls
    split.operations = dict(counter.calls)


@pytest.fixture
def transport(aws: runtime.Runtime, client: WebClient) -> CountingTransport:
    counting = CountingTransport(use_loopback())
    use_transport(aws, counting)  # type: ignore[arg-type]
    client.get("/hub/oidc/jwks")  # the hub reads its signing keys once per runtime
    return counting


def _to_callback(browser: WebClient, module: str) -> str:
    """Start and authorize (both uncounted): the callback's path."""
    reply = browser.get(f"/{module}/sso/start?next=/{module}/")
    reply = browser.get(path_of(reply.location))
    assert reply.status == 303 and f"/{module}/sso/callback" in reply.location, reply
    return path_of(reply.location)


def _callback(browser: WebClient, module: str, transport: CountingTransport) -> tuple[Reply,
                                                                                      Split]:
    path = _to_callback(browser, module)
    with split_calls(transport) as split:
        reply = browser.get(path)
    return reply, split


def _assert_split(case: str, split: Split, module_calls: int, over: str = "") -> None:
    """The hub's token request within its budget (2: the code read, one transaction); the
    module's own calls exactly as counted (a change in either direction is noticed here), within
    three unless `over` says why not."""
    assert module_calls <= BUDGET or over, case
    assert split.hub == 2, (case, split)
    assert split.hub <= HUB_TOKEN_BUDGET and "Scan" not in (split.operations or {}), (case, split)
    assert split.module == module_calls, (case, split)


def _portal(aws: runtime.Runtime):
    hub = make_hub_account(company_name="Hub MSP", username="sam")
    partner = companies.create_company(aws, "Partner MSP")
    admin = make_user(partner, username="sam-partner", email="sam@example.com")
    link_directly(partner.company_id, hub.company)
    return hub, partner, admin


def test_portal_steady_state_callback_of_a_linked_user(client, aws, transport):
    hub, _, admin = _portal(aws)
    hub_log_in(client, hub)
    assert hub_login_and_link(client, admin).status == 303
    client.cookies.pop("lh_portal_session", None)
    reply, split = _callback(client, "portal", transport)
    assert reply.status == 303 and reply.location == "/portal/", reply
    # the identity's item with its hub company's link record (one BatchGetItem), the linked users
    # and their companies' settings (one BatchGetItem), and one transaction: session, failures
    # reset, last hub login
    _assert_split("portal linked user", split, module_calls=3)


def test_portal_first_link_on_the_link_page(client, aws, transport):
    hub, _, admin = _portal(aws)
    hub_log_in(client, hub)
    reply, split = _callback(client, "portal", transport)
    assert reply.location == "/portal/sso/link", reply
    # the identity's item (none yet) with its hub company's link record listing the partner
    # companies (one BatchGetItem), the username's and email's markers and the identity's marker
    # in each company with the companies and settings (one BatchGetItem), the users they name
    # with their identity markers (one BatchGetItem); nothing written
    _assert_split("portal callback to the link page", split, module_calls=3)


def test_portal_just_in_time_creation(client, aws, transport):
    hub, _, admin = _portal(aws)
    security_settings.set_auto_create(aws, admin, True, TECHNICIAN)
    nina = make_hub_account(username="nina", role="User", company=hub.company)
    hub_log_in(client, nina)
    reply, split = _callback(client, "portal", transport)
    assert reply.status == 303 and reply.location == "/portal/", reply
    # the identity's item (none yet) with its hub company's link record (one BatchGetItem), the
    # markers (none) with the companies and their settings (one BatchGetItem), and user, markers,
    # identity link, audit entry and first session (one transaction)
    _assert_split("portal just-in-time creation", split, module_calls=3)


def test_portal_first_sign_in_linked_by_a_verified_email(client, aws, transport):
    hub, partner, _ = _portal(aws)
    nina = make_hub_account(username="nina", role="User", company=hub.company)
    hub_users.update_user(nina.user.user_id, email_verified=True,
                          verified_email_key=hub_users.email_key(nina.user.email))
    tech = make_user(partner, username="nina-partner", email=nina.user.email, role=TECHNICIAN)
    hub_log_in(client, nina)
    reply, split = _callback(client, "portal", transport)
    assert reply.status == 303 and reply.location == "/portal/", reply
    assert identity_store.identity_of_user(tech.user_id) is not None
    # the identity's item (none yet) with the hub link's record, then the markers (the email's
    # carrying what the link needs of its user) with the companies and settings (one
    # BatchGetItem each), then the link and the session in one transaction conditional on the
    # user item holding what the email's marker says
    _assert_split("portal first sign-in linked by email", split, module_calls=3)
    _, user = sessions.resume(aws, client.cookies["lh_portal_session"])
    assert user.user_id == tech.user_id


def _itdocs(aws: runtime.Runtime):
    hub = make_hub_account(company_name="Docs MSP", username="sam")
    account = make_itdocs_account("Docs MSP", hub_issuer=aws.settings.hub_issuer,
                                  hub_company_id=hub.company.company_id,
                                  hub_company_name=hub.company.name, jit_enabled=True)
    return hub, account


def test_itdocs_steady_state_callback_of_a_linked_user(client, aws, transport):
    hub, account = _itdocs(aws)
    user = make_itdocs_user(account, EDITOR, email="sam@example.com", name="Sam")
    itdocs_users.link_identity(user.user_id, aws.settings.hub_issuer, hub.user.user_id)
    hub_log_in(client, hub)
    reply, split = _callback(client, "itdocs", transport)
    assert reply.status == 303 and reply.location == "/itdocs/", reply
    # both markers (one BatchGetItem), the user, and the session start in one transaction
    # (`hub_sign_in.start_session`, tested below)
    _assert_split("itdocs linked user", split, module_calls=3)


def test_itdocs_just_in_time_creation(client, aws, transport):
    hub, _ = _itdocs(aws)
    hub_log_in(client, hub)
    reply, split = _callback(client, "itdocs", transport)
    assert reply.status == 303 and reply.location == "/itdocs/", reply
    # both markers (one BatchGetItem), the account with the email's marker in it (none; one
    # BatchGetItem), and the user, its markers, its audit entry and its first session (one
    # transaction)
    _assert_split("itdocs just-in-time creation", split, module_calls=3)


def test_itdocs_hub_session_start_is_one_call_and_signs_in(aws):
    account = make_itdocs_account("Docs MSP")
    user = make_itdocs_user(account, EDITOR, email="sam@example.com", name="Sam")
    old_token, _ = hub_sign_in.start_session(aws, user, hub_sid="hub-sid-1")
    with tables.counting_calls() as counter:
        token, session = hub_sign_in.start_session(aws, user, hub_sid="hub-sid-2",
                                                   previous_token=old_token)
    assert counter.total == 1 and dict(counter.calls) == {"TransactWriteItems": 1}, counter
    resumed, who = itdocs_signed_in.resume(aws, token)
    assert who.user_id == user.user_id and resumed.hub_sid == "hub-sid-2"
    assert itdocs_users.get_user(user.user_id).last_login_at == session.created_at
    with pytest.raises(NotAuthenticated):
        itdocs_signed_in.resume(aws, old_token)  # the browser's previous session ended


# -- every other Log In with Hub route: one request each, in steady state -----------------------

@dataclass(frozen=True)
class Route:
    """One request of a Log In with Hub page: its case, what brings the browser there
    (uncounted), the request, its answer, and its module calls (the hub's counted apart)."""

    name: str
    prepare: Callable[[WebClient, runtime.Runtime], Any]
    send: Callable[[WebClient, Any], Reply]
    status: int
    calls: int
    budget: int = BUDGET
    over: str = ""  # why the calls are above three
    hub_calls: int = 0  # the hub's, when the request calls it over HTTP


SECURITY = "/portal/admin/security"
def _signed_in_to_hub(client: WebClient, aws: runtime.Runtime) -> Any:
    hub, partner, admin = _portal(aws)
    hub_log_in(client, hub)
    return hub, partner, admin


def _on_the_link_page(client: WebClient, aws: runtime.Runtime) -> Any:
    hub, partner, admin = _signed_in_to_hub(client, aws)
    reply = client.get(path_of(_to_callback(client, "portal")))
    assert reply.location == "/portal/sso/link", reply
    client.get("/portal/sso/link")
    return admin


def _choosing(client: WebClient, aws: runtime.Runtime) -> Any:
    """A hub user linked to accounts in two partner companies: the callback offers a choice."""
    hub, _, admin = _signed_in_to_hub(client, aws)
    second = companies.create_company(aws, "Second MSP")
    other = make_user(second, username="sam-second", email="sam@example.com")
    link_directly(second.company_id, hub.company)
    for user in (admin, other):
        identity_store.link_identity(user.user_id, user.company_id, aws.settings.hub_issuer,
                                     hub.user.user_id, aws.clock.now())
    reply = client.get(path_of(_to_callback(client, "portal")))
    assert reply.location == "/portal/sso/choose", reply
    client.get("/portal/sso/choose")
    return other


def _portal_admin_with_hub_session(client: WebClient, aws: runtime.Runtime) -> Any:
    """A Security Admin of an unlinked partner company whose browser has a hub Master session."""
    master = make_hub_account(company_name="Enable MSP", username="max")
    partner = companies.create_company(aws, "Enabling Partner")
    admin = make_user(partner, username="enabler", email="max@example.com")
    hub_log_in(client, master)
    portal_log_in(client, admin.username)
    client.get(SECURITY)
    return master


def _confirming(client: WebClient, aws: runtime.Runtime) -> Any:
    master = _portal_admin_with_hub_session(client, aws)
    reply = client.get(path_of(client.post(SECURITY + "/link").location))
    reply = client.get(path_of(reply.location))
    assert reply.location == SECURITY + "/link", reply
    client.get(SECURITY + "/link")
    return master


def _enabled(client: WebClient, aws: runtime.Runtime) -> Any:
    master = _confirming(client, aws)
    reply = client.post(SECURITY + "/link/confirm", {"subject": master.user.user_id})
    assert reply.status == 303, reply
    client.get(SECURITY)
    return master


def _itdocs_link_required(client: WebClient, aws: runtime.Runtime) -> Any:
    """An IT Docs Administrator with the hub user's email: only its owner's proof links it."""
    hub, account = _itdocs(aws)
    make_itdocs_user(account, ADMINISTRATOR, email=hub.user.email, name="Sam")
    hub_log_in(client, hub)
    reply = client.get(path_of(_to_callback(client, "itdocs")))
    assert reply.location == "/itdocs/sso/link", reply
    return hub


def _itdocs_admin(client: WebClient, aws: runtime.Runtime, *, linked: bool) -> Any:
    hub = make_hub_account(company_name="Docs Link MSP", username="max")
    account = make_itdocs_account("Docs Link MSP", **({
        "hub_issuer": aws.settings.hub_issuer, "hub_company_id": hub.company.company_id,
        "hub_company_name": hub.company.name} if linked else {}))
    hub_log_in(client, hub)
    itdocs_sign_in(client, make_itdocs_user(account, ADMINISTRATOR))
    client.get("/itdocs/account/sso/link" if not linked else "/itdocs/account/sso")
    return hub


ROUTES = [
    Route("portal start", lambda c, aws: None,
          lambda c, _: c.get("/portal/sso/start?next=/portal/"), 303, calls=0),
    Route("portal launch from My Modules", lambda c, aws: None,
          lambda c, _: c.get("/portal/sso/launch"), 303, calls=0),
    Route("portal Link your accounts page", _on_the_link_page,
          lambda c, _: c.get("/portal/sso/link"), 200, calls=1),
    Route("portal link with the portal password", _on_the_link_page,
          lambda c, admin: c.post("/portal/sso/link", {"user_id": admin.user_id,
                                                       "password": PASSWORD}), 303, calls=3),
    Route("portal account choice page", _choosing,
          lambda c, _: c.get("/portal/sso/choose"), 200, calls=1),
    Route("portal account chosen", _choosing,
          lambda c, other: c.post("/portal/sso/choose", {"user_id": other.user_id}), 303,
          calls=2),
    Route("portal Enable Login with Hub (to the hub)", _portal_admin_with_hub_session,
          lambda c, _: c.post(SECURITY + "/link"), 303, calls=1),
    Route("portal Enable Login with Hub confirmation page", _confirming,
          lambda c, _: c.get(SECURITY + "/link"), 200, calls=1),
    # the session with its settings (one BatchGetItem); the hub links the module (its calls);
    # the other partners linked to that hub company (an index query); the link, its audit entry
    # and the hub link's record listing them all, its insights due (one transaction)
    Route("portal Enable Login with Hub confirmed", _confirming,
          lambda c, master: c.post(SECURITY + "/link/confirm",
                                   {"subject": master.user.user_id}), 303, calls=3, hub_calls=3),
    # the session with its settings; the unlink, its audit entry, the hub link's record and the
    # hub's unlink marked pending (one transaction); the hub is asked by the portal tick
    # (`tests/portal/test_hub_unlink.py`), never in the request
    Route("portal Disable Login with Hub", _enabled,
          lambda c, _: c.post(SECURITY + "/unlink"), 303, calls=2, hub_calls=0),
    Route("itdocs start", lambda c, aws: None,
          lambda c, _: c.get("/itdocs/sso/start?next=/itdocs/"), 303, calls=0),
    Route("itdocs Link your accounts page", _itdocs_link_required,
          lambda c, _: c.get("/itdocs/sso/link"), 403, calls=1),
    Route("itdocs link the account (to the hub)",
          lambda c, aws: _itdocs_admin(c, aws, linked=False),
          lambda c, _: c.post("/itdocs/account/sso/link"), 303, calls=2),
    Route("itdocs unlink the account",
          lambda c, aws: _itdocs_admin(c, aws, linked=True),
          lambda c, _: c.post("/itdocs/account/sso/unlink"), 303, calls=2, hub_calls=1),
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_sso_route_calls(client, aws, transport, route):
    assert route.budget == BUDGET or route.over, route.name
    prepared = route.prepare(client, aws)
    with split_calls(transport) as split:
        reply = route.send(client, prepared)
    assert reply.status == route.status, (route.name, reply)
    assert "Scan" not in (split.operations or {}), (route.name, split)
    assert split.module == route.calls <= route.budget, (route.name, split)
    assert split.hub == route.hub_calls, (route.name, split)
