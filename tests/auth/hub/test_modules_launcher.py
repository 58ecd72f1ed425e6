"""The App Launcher in a module's banner, and launching a module from the hub without typing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app import app
from chalicelib import runtime
from chalicelib.auth.sso import hub_services
from chalicelib.storage.hub import companies as store
from chalicelib.web.banner import Banner
from chalicelib.web.page import SCOPES
from chalicelib.web.templates import render_template
from tests.auth.hub.helpers import log_in, make_account
from tests.auth.hub.oidc.flow import path_of, query_of
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport


@dataclass
class BannerOnly:
    """What the templates read of a page."""

    banner: Banner
    scope: str = "portal"


def portal_banner(**banner: Any) -> str:
    user = Banner(user_name="Tess", tenant_name="Partner A", role="Technician", nav=(),
                  logout_path="/portal/logout", **banner)
    return render_template("base.html", page=BannerOnly(user),
                           scope=SCOPES["portal"], csrf_token="t")


def test_the_launcher_lists_my_modules_and_the_users_modules(aws):
    entries = hub_services.app_launcher(runtime.current(), "portal", ["portal"])
    html = portal_banner(app_launcher=entries)
    issuer = runtime.current().settings.hub_issuer
    assert "App Launcher" in html
    assert f'href="{issuer}/" data-launch="hub"' in html
    assert f'href="{issuer}/launch/portal" data-launch="portal" aria-current="page"' in html
    assert 'data-launch="itdocs"' not in html


def test_without_the_users_modules_every_module_is_listed(aws):
    keys = [e.key for e in hub_services.app_launcher(runtime.current(), "itdocs")]
    assert keys == ["hub", "portal", "itdocs"]


def test_an_unlinked_portal_shows_no_launcher(aws):
    assert "App Launcher" not in portal_banner()


def test_launching_from_my_modules_reaches_the_module_signed_in_at_the_hub(client):
    account = make_account()
    base = runtime.current().settings.base_url
    use_transport(runtime.current(), LoopbackTransport(app, base))
    store.set_company_module(account.company.company_id, "portal",
                             {"launch_url": f"{base}/portal/sso/launch"})
    assert log_in(client, account).status == 303

    hop = client.get("/hub/launch/portal")
    assert hop.location == f"{base}/portal/sso/launch"
    hop = client.get(path_of(hop.location))  # the portal starts Log In with Hub
    assert hop.status == 303 and "/hub/oidc/authorize" in hop.location
    hop = client.get(path_of(hop.location))  # the hub session answers without a form
    assert hop.status == 303 and hop.location.startswith(f"{base}/portal/sso/callback")
    assert "code" in query_of(hop.location)
