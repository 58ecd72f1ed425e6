"""Linking a module to a hub company, My Modules, launching, and the ID token's modules claim."""

from __future__ import annotations

import base64

import pytest

from app import app
from chalicelib import runtime
from chalicelib.auth.sso import hub_services
from chalicelib.errors import Forbidden, InvalidInput, LoginFailed, NotFound
from chalicelib.storage.hub import companies as store
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.hub.oidc.flow import Rp, verify_id_token
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport
from tests.web_client import WebClient

PORTAL_LAUNCH = "http://localhost:8000/portal/sso/launch"


@pytest.fixture
def hub(client: WebClient) -> WebClient:
    rt = runtime.current()
    use_transport(rt, LoopbackTransport(app, rt.settings.base_url))
    return client


def access_token(browser: WebClient, module: str = "portal") -> str:
    """The access token a signed-in browser's hub user gets by signing in to `module`."""
    rp = Rp.builtin(module)
    reply = rp.token(browser, rp.code(browser))
    assert reply.status == 200, reply
    return str(reply.json["access_token"])


def test_a_master_links_the_portal_and_granted_users_see_it_in_my_modules(hub):
    master = make_account()
    assert log_in(hub, master).status == 303
    hub_services.link_module(runtime.current(), "portal", access_token=access_token(hub),
                             launch_url=PORTAL_LAUNCH)

    link = store.get_company(master.company.company_id).linked_modules["portal"]
    assert link["launch_url"] == PORTAL_LAUNCH and link["linked_by"] == "alice"
    page = hub.get("/hub/")
    assert 'data-module="portal"' in page.text and 'href="/hub/launch/portal"' in page.text
    assert 'data-module="itdocs"' not in page.text
    launched = hub.get("/hub/launch/portal")
    assert launched.status == 303 and launched.location == PORTAL_LAUNCH

    other = WebClient(app)
    without = make_account(username="bob", role="User", modules=["itdocs"],
                            company=master.company)
    assert log_in(other, without).status == 303
    assert 'data-module="portal"' not in other.get("/hub/").text
    refused = other.get("/hub/launch/portal")
    assert refused.status == 403 and "does not have access to Partner Portal" in refused.text


def test_a_plain_hub_user_cannot_link_a_module(hub):
    user = make_account(role="User")
    assert log_in(hub, user).status == 303
    with pytest.raises(Forbidden, match="Only a Master user"):
        hub_services.link_module(runtime.current(), "portal", access_token=access_token(hub),
                                 launch_url=PORTAL_LAUNCH)
    assert store.get_company(user.company.company_id).linked_modules == {}


def test_link_refuses_a_bad_token_another_modules_token_and_a_foreign_launch_url(hub):
    master = make_account()
    assert log_in(hub, master).status == 303
    rt = runtime.current()
    with pytest.raises(LoginFailed):
        hub_services.link_module(rt, "portal", access_token="not-a-token",
                                 launch_url=PORTAL_LAUNCH)
    with pytest.raises(LoginFailed):  # issued to IT Docs, replayed by the portal
        hub_services.link_module(rt, "portal", access_token=access_token(hub, "itdocs"),
                                 launch_url=PORTAL_LAUNCH)
    token = access_token(hub)
    for url in ("https://evil.example/portal/", "http://localhost:8000/itdocs/x",
                "http://localhost:8000@evil.example/portal/"):
        with pytest.raises(InvalidInput):
            hub_services.link_module(rt, "portal", access_token=token, launch_url=url)
    assert store.get_company(master.company.company_id).linked_modules == {}


def test_an_expired_access_token_cannot_link(hub, frozen_time):
    master = make_account()
    assert log_in(hub, master).status == 303
    token = access_token(hub)
    frozen_time.advance(seconds=16 * 60)
    with pytest.raises(LoginFailed, match="expired"):
        hub_services.link_module(runtime.current(), "portal", access_token=token,
                                 launch_url=PORTAL_LAUNCH)


def test_module_services_need_the_modules_own_client_credentials(hub):
    reply = hub.post("/hub/modules/portal/unlink", {"hub_company_id": "x"}, csrf=None)
    assert reply.status == 401 and reply.json["code"] == "invalid_client"
    rp = Rp.builtin("itdocs")
    basic = base64.b64encode(f"{rp.client_id}:{rp.secret}".encode()).decode()
    reply = hub.post("/hub/modules/portal/unlink", {"hub_company_id": "x"}, csrf=None,
                     headers={"authorization": f"Basic {basic}"})
    assert reply.status == 403


def test_unlinking_removes_the_module_from_my_modules_and_is_repeatable(hub):
    master = make_account()
    assert log_in(hub, master).status == 303
    rt = runtime.current()
    hub_services.link_module(rt, "portal", access_token=access_token(hub),
                             launch_url=PORTAL_LAUNCH)
    hub_services.unlink_module(rt, "portal", hub_company_id=master.company.company_id)
    hub_services.unlink_module(rt, "portal", hub_company_id=master.company.company_id)
    assert 'data-module="portal"' not in hub.get("/hub/").text
    missing = hub.get("/hub/launch/portal")
    assert missing.status == 404 and "not linked to your company yet" in missing.text
    with pytest.raises(NotFound):
        hub_services.unlink_module(rt, "portal", hub_company_id="no-such-company")


def test_the_id_token_names_the_modules_the_user_was_granted(hub):
    account = make_account(modules=["portal"])
    assert log_in(hub, account).status == 303
    rp = Rp.builtin("portal")
    body = rp.token(hub, rp.code(hub)).json
    claims = verify_id_token(hub, body["id_token"], "portal")
    assert claims["modules"] == ["portal"]


def test_an_oversized_hub_company_id_is_a_clear_400_before_storage(hub):
    rp = Rp.builtin("portal")
    basic = base64.b64encode(f"{rp.client_id}:{rp.secret}".encode()).decode()
    reply = hub.post("/hub/modules/portal/unlink", {"hub_company_id": "c" * 3000}, csrf=None,
                     headers={"authorization": f"Basic {basic}"})
    assert reply.status == 400 and "Name the hub company" in reply.text
