"""Insights published by a linked module, stored per hub company and shown on its dashboard."""

from __future__ import annotations

import base64
import json

import pytest

from app import app
from chalicelib import runtime
from chalicelib.auth.modules import builtin_client
from chalicelib.auth.sso import hub_services
from chalicelib.auth.sso.hub_services import Insight
from chalicelib.errors import NotFound
from chalicelib.storage.hub import companies as store
from tests.auth.hub.helpers import log_in, make_account
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport
from tests.web_client import WebClient

OFF = Insight("portal.require_hub_login_off", "Require Log In with Hub is off",
              "Users can still log in with a local password.", "warning")
NEVER = Insight("portal.never_signed_in_with_hub", "2 users have never signed in with the hub",
                "In Partner A: bob, carol.", "info")


@pytest.fixture
def loopback(client: WebClient) -> LoopbackTransport:
    rt = runtime.current()
    transport = LoopbackTransport(app, rt.settings.base_url)
    use_transport(rt, transport)
    return transport


def linked_company(name: str, module: str = "portal") -> str:
    account = make_account(company_name=name, username="master")
    store.set_company_module(account.company.company_id, module,
                             {"launch_url": f"http://localhost:8000/{module}/sso/launch"})
    return account.company.company_id


def put_insights(module: str, body: dict[str, object], client_module: str | None = None) -> int:
    client_id, secret, _ = builtin_client(runtime.current().settings, client_module or module)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    reply = runtime.current().transport.request(
        "PUT", f"{runtime.current().settings.hub_issuer}/modules/{module}/insights",
        headers={"authorization": f"Basic {basic}", "content-type": "application/json"},
        body=json.dumps(body).encode())
    return reply.status


def test_insights_show_on_the_dashboard_of_the_linked_company_only(client, loopback):
    acme = make_account(company_name="Acme MSP")
    store.set_company_module(acme.company.company_id, "portal",
                             {"launch_url": "http://localhost:8000/portal/sso/launch"})
    other = make_account(company_name="Other MSP", username="olga")
    store.set_company_module(other.company.company_id, "portal",
                             {"launch_url": "http://localhost:8000/portal/sso/launch"})
    hub_services.publish_insights(runtime.current(), "portal",
                                  hub_company_id=acme.company.company_id, insights=[NEVER, OFF])

    assert log_in(client, acme).status == 303
    page = client.get("/hub/").text
    assert "Require Log In with Hub is off" in page and "never signed in with the hub" in page
    assert page.index("Require Log In with Hub is off") < page.index("never signed in")
    assert "Partner Portal" in page and "No insights from your modules yet" not in page

    browser = WebClient(app)
    assert log_in(browser, other).status == 303
    theirs = browser.get("/hub/").text
    assert "Require Log In with Hub is off" not in theirs
    assert "No insights from your modules yet" in theirs


def test_a_module_cannot_publish_for_a_company_it_is_not_linked_to(client, loopback):
    acme = make_account(company_name="Acme MSP")
    with pytest.raises(NotFound, match="not linked"):
        hub_services.publish_insights(runtime.current(), "portal",
                                      hub_company_id=acme.company.company_id, insights=[OFF])
    with pytest.raises(NotFound):
        hub_services.publish_insights(runtime.current(), "portal", hub_company_id="nope",
                                      insights=[OFF])
    itdocs_linked = linked_company("Docs MSP", module="itdocs")
    with pytest.raises(NotFound):
        hub_services.publish_insights(runtime.current(), "portal",
                                      hub_company_id=itdocs_linked, insights=[OFF])


def test_a_module_publishes_only_as_itself_and_only_well_formed_insights(client, loopback):
    company_id = linked_company("Acme MSP")
    good = {"hub_company_id": company_id,
            "insights": [{"kind": "x", "title": "t", "detail": "d", "severity": "info"}]}
    assert put_insights("portal", good, client_module="itdocs") == 403
    bad_severity = {**good, "insights": [{"kind": "x", "title": "t", "detail": "d",
                                          "severity": "critical"}]}
    assert put_insights("portal", bad_severity) == 400
    too_many = {**good, "insights": good["insights"] * 21}  # type: ignore[operator]
    assert put_insights("portal", too_many) == 400
    assert put_insights("portal", {**good, "insights": [{"kind": "x"}]}) == 400
    assert put_insights("portal", good) == 200


def test_an_unchanged_list_writes_nothing_and_unlinking_forgets_it(client, loopback):
    account = make_account()
    company_id = account.company.company_id
    store.set_company_module(company_id, "portal",
                             {"launch_url": "http://localhost:8000/portal/sso/launch"})
    body = {"hub_company_id": company_id,
            "insights": [{"kind": "x", "title": "Seen once", "detail": "d", "severity": "info"}]}
    client_id, secret, _ = builtin_client(runtime.current().settings, "portal")
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    headers = {"authorization": f"Basic {basic}", "content-type": "application/json"}
    first = client.request("PUT", "/hub/modules/portal/insights", headers=headers,
                           body=json.dumps(body))
    again = client.request("PUT", "/hub/modules/portal/insights", headers=headers,
                           body=json.dumps(body))
    assert first.json["changed"] is True and again.json["changed"] is False

    hub_services.unlink_module(runtime.current(), "portal", hub_company_id=company_id)
    assert log_in(client, account).status == 303
    assert "Seen once" not in client.get("/hub/").text
