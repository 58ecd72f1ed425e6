"""The UI kit every product shares: the favicon, local times, the banner's menus and App Launcher,
and the message a refused action leaves for the page it redirects to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from chalicelib import runtime
from chalicelib.web.banner import Banner, LauncherLink, NavGroup, NavLink, grouped
from chalicelib.web.page import SCOPES
from chalicelib.web.templates import format_when, render_template
from tests.auth.hub.helpers import log_in, make_account


@dataclass
class BannerOnly:
    """What the templates read of a page."""

    banner: Banner
    scope: str = "hub"


def banner_html(**banner: Any) -> str:
    fields = {"user_name": "Lena", "tenant_name": "Acme", "nav": (),
              "logout_path": "/hub/logout"} | banner
    return render_template("base.html", page=BannerOnly(Banner(**fields)),
                           scope=SCOPES["hub"], csrf_token="t")


def test_the_favicon_is_served_and_named_by_every_page(client):
    icon = client.get("/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and "</svg>" in icon.text
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/hub/login").text
    assert client.get("/static/favicon.svg").text == icon.text


def test_a_time_is_utc_text_in_a_time_element_the_browser_may_localise():
    moment = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    shown = format_when(moment.astimezone(dt.timezone(dt.timedelta(hours=-5))))
    assert shown == '<time datetime="2026-03-04T05:06:07Z" data-local>2026-03-04 05:06 UTC</time>'
    assert format_when(None) == "never"


def test_every_page_loads_the_kit_script_from_this_origin(client):
    assert '<script src="/static/kit.js" defer></script>' in client.get("/hub/login").text
    script = client.get("/static/kit.js")
    assert script.status == 200 and "time[data-local]" in script.text


def test_links_named_menu_then_item_form_a_menu_where_the_first_appears():
    links = (NavLink("Home", "/p/"), NavLink("Admin: Users", "/p/u"),
             NavLink("SaaS Protection", "/p/s"), NavLink("Admin > Security Settings", "/p/x"),
             NavLink("Account › API Keys", "/p/k"), NavLink("Time: 10:30", "/p/t"))
    assert grouped(links) == (
        NavGroup("", (NavLink("Home", "/p/"),)),
        NavGroup("Admin", (NavLink("Users", "/p/u"), NavLink("Security Settings", "/p/x"))),
        NavGroup("", (NavLink("SaaS Protection", "/p/s"),)),
        NavGroup("Account", (NavLink("API Keys", "/p/k"),)),
        NavGroup("Time", (NavLink("10:30", "/p/t"),)),
    )


def test_the_banner_shows_menus_wide_and_one_menu_narrow():
    html = banner_html(nav=(NavLink("Home", "/p/"), NavLink("Admin: Users", "/p/u")))
    assert '<nav aria-label="Main" class="nav-wide">' in html
    assert "<summary>Admin</summary>" in html and '<a href="/p/u">Users</a>' in html
    assert "<summary>Menu</summary>" in html and '<a href="/p/u">Admin: Users</a>' in html


def test_the_app_launcher_lists_the_apps_under_a_heading_then_the_hub():
    html = banner_html(app_launcher=(
        LauncherLink("portal", "Partner Portal", "/hub/launch/portal"),
        LauncherLink("hub", "Hub: My Modules", "/hub/", current=True)))
    assert '<span class="visually-hidden">App Launcher</span></summary>' in html
    assert '<h2 id="app-launcher-heading">Your apps</h2>' in html
    assert '<a href="/hub/launch/portal" data-launch="portal">Partner Portal</a>' in html
    assert '<a href="/hub/" data-launch="hub" aria-current="page">Hub</a>' in html
    assert html.index('data-launch="portal"') < html.index('data-launch="hub"')


def test_the_hub_banner_launches_the_users_linked_modules(client):
    account = make_account(modules=["portal"])
    log_in(client, account)
    page = client.get("/hub/")
    assert "No apps use Unified Login for you yet." in page.text
    assert '<a href="/hub/" data-launch="hub" aria-current="page">Hub</a>' in page.text


def test_a_problem_left_for_one_scope_is_not_shown_in_another(client):
    account = make_account()
    log_in(client, account)
    client.get("/hub/admin/clients")
    client.post("/hub/admin/clients", {"name": "Bad", "redirect_uris": "javascript:alert(1)"})
    token = client.cookies["lh_hub_problem"]
    signer = runtime.current().signer
    assert signer.unsign("problem:hub", token)["v"]["name"] == "Bad"
    client.cookies["lh_portal_problem"] = token
    assert 'role="alert"' not in client.get("/portal/login").text
