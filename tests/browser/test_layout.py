"""Every product's main pages at phone, tablet and desktop widths: nothing wider than the screen,
"Log out" always on screen, the navigation in a "Menu" on small screens, the banner on one line
on a desktop, the App Launcher as a panel over the page, times in the viewer's zone, and axe-core
finding no serious or critical violation on any of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.auth.hub import sessions as hub_sessions
from chalicelib.itdocs import sessions as itdocs_sessions
from chalicelib.portal import sessions as portal_sessions
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import companies as hub_companies
from tests.auth.hub.helpers import make_account
from tests.browser.conftest import BrowserStack
from tests.conftest import unique
from tests.portal.helpers import Partner, make_partner
from tests.sync.matching_helpers import customer, make_integration, make_tenant, suffix, sync

pytestmark = pytest.mark.browser

WIDTHS = (390, 768, 1280)
COMPACT_BELOW = 800  # px: the navigation is one "Menu" under this width (static/app.css)


@dataclass(frozen=True)
class Signed:
    """One session cookie per product, and the pages of each this test opens."""

    cookies: list[dict[str, str]]
    pages: list[str]
    partner: Partner


@pytest.fixture
def signed(hub_db: Runtime, browser_stack: BrowserStack) -> Signed:
    hub = make_account(company_name=unique("Layout Hub"), username="lena",
                       modules=["portal", "itdocs"])
    hub_companies.set_company_module(hub.company.company_id, "portal",
                                     {"launch_url": f"{browser_stack.base_url}/portal/sso/launch"})
    partner = make_partner(unique("Layout Partner With A Rather Long Company Name"))
    tag = suffix()
    tenant = make_tenant(hub_db, [f"Contoso {tag}", f"Fabrikam {tag}"], integration_id="")
    tenant.integration_id = make_integration(hub_db, tenant.account_id)
    sync(hub_db, tenant, [customer("1", f"Contoso {tag}"), customer("2", f"Tailspin {tag}")])
    tokens = {
        "hub": hub_sessions.start(hub_db, hub.user)[0],
        "portal": portal_sessions.start(hub_db, partner.admin)[0],
        "itdocs": itdocs_sessions.start(hub_db, tenant.admin)[0],
    }
    cookies = [{"name": f"lh_{scope}_session", "value": token, "url": browser_stack.base_url}
               for scope, token in tokens.items()]
    pages = ["/hub/", "/hub/admin/users", "/portal/", "/portal/admin/security", "/portal/saas",
             "/itdocs/organizations", "/itdocs/account/integrations",
             f"/itdocs/integrations/{tenant.integration_id}/matching"]
    return Signed(cookies, pages, partner)


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scrolling)."""
    return int(page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"))


TOO_WIDE = """() => {
    const past = e => e.getBoundingClientRect().right > window.innerWidth + 0.5;
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (typeof e.className === 'string' && e.className ? '.' + e.className.split(' ')[0] : '');
    return [...document.querySelectorAll('body *')]
        .filter(e => past(e) && ![...e.children].some(past)).slice(0, 6)
        .map(e => name(e) + ' ' + Math.round(e.getBoundingClientRect().right));
}"""


def too_wide(page: Page) -> list[str]:
    """The innermost elements reaching past the window's right edge (what a failure names)."""
    return list(page.evaluate(TOO_WIDE))


def on_screen(page: Page, selector_box: dict[str, float] | None) -> bool:
    width = page.evaluate("() => window.innerWidth")
    return bool(selector_box) and selector_box["x"] >= 0 and \
        selector_box["x"] + selector_box["width"] <= width  # type: ignore[index]


def banner_lines(page: Page) -> int:
    """Rows the banner's parts sit on (1: brand, navigation and user side by side)."""
    return int(page.evaluate("""() => {
        const tops = [...document.querySelectorAll('header.banner > *')]
          .filter(e => e.getClientRects().length && getComputedStyle(e).display !== 'none')
          .map(e => e.getBoundingClientRect());
        const rows = [];
        for (const box of tops) {
          if (!rows.some(r => Math.abs(r - (box.top + box.height / 2)) < 16)) {
            rows.push(box.top + box.height / 2);
          }
        }
        return rows.length;
    }"""))


@pytest.mark.parametrize("width", WIDTHS)
def test_every_main_page_fits_the_screen_and_passes_the_audit(
        page: Page, signed: Signed, audit: Callable[[Page], None], width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_cookies(signed.cookies)  # type: ignore[arg-type]
    for path in signed.pages:
        reply = page.goto(path)
        assert reply is not None and reply.status == 200, path
        assert overflow(page) <= 0, \
            f"{path} is {overflow(page)} px wider than {width} px: {too_wide(page)}"
        log_out = page.get_by_role("button", name="Log out")
        expect(log_out).to_be_visible()
        assert on_screen(page, log_out.bounding_box()), f"Log out is off screen on {path}"
        if width >= COMPACT_BELOW:
            assert banner_lines(page) == 1, f"the banner wraps on {path} at {width} px"
            expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        else:
            menu = page.locator("summary", has_text="Menu")
            expect(page.get_by_role("navigation", name="Main", exact=True)).to_be_hidden()
            menu.click()
            links = page.get_by_role("navigation", name="Main menu").get_by_role("link")
            assert links.count() >= 1
            expect(links.first).to_be_visible()
            assert on_screen(page, links.first.bounding_box()), path
            assert overflow(page) <= 0, f"{path}: the open Menu widens the page"
        audit(page)


@pytest.mark.parametrize("width", (390, 1280))
def test_the_app_launcher_opens_over_the_page_and_escape_closes_it(
        page: Page, signed: Signed, audit: Callable[[Page], None], width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.context.add_cookies(signed.cookies)  # type: ignore[arg-type]
    page.goto("/hub/")
    header = page.locator("header.banner")
    closed_height = header.bounding_box()["height"]  # type: ignore[index]
    launcher = page.locator("summary", has_text="App Launcher")
    expect(launcher).to_have_accessible_name("App Launcher")
    launcher.click()
    panel = page.locator(".launcher-panel")
    expect(panel.get_by_role("heading", name="Your apps")).to_be_visible()
    expect(panel.get_by_role("link", name="Partner Portal")).to_have_attribute(
        "href", "/hub/launch/portal")
    expect(panel.get_by_role("link", name="Hub", exact=True)).to_be_visible()
    assert header.bounding_box()["height"] == closed_height  # type: ignore[index]
    assert overflow(page) <= 0 and on_screen(page, panel.bounding_box())
    audit(page)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    launcher.click()
    panel.get_by_role("link", name="Hub", exact=True).click()
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()


def test_times_show_in_the_viewers_zone_with_utc_in_the_tooltip(
        browser: Browser, browser_stack: BrowserStack, signed: Signed) -> None:
    created = signed.partner.organizations[0].created_at.astimezone(dt.UTC)
    tokyo = created.astimezone(dt.timezone(dt.timedelta(hours=9)))
    for javascript, shown in ((True, tokyo.strftime("%Y-%m-%d %H:%M")),
                              (False, created.strftime("%Y-%m-%d %H:%M UTC"))):
        context = browser.new_context(base_url=browser_stack.base_url, timezone_id="Asia/Tokyo",
                                      java_script_enabled=javascript)
        try:
            context.add_cookies([c for c in signed.cookies if "portal" in c["name"]])  # type: ignore[misc]
            tab = context.new_page()
            tab.goto("/portal/organizations")
            moment = tab.locator("time").first
            expect(moment).to_contain_text(shown)
            expect(moment).to_have_attribute("datetime", created.strftime("%Y-%m-%dT%H:%M:%SZ"))
            if javascript:
                expect(moment).to_have_attribute("title", created.strftime("%Y-%m-%d %H:%M UTC"))
        finally:
            context.close()
