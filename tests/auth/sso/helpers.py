"""SSO test helpers: the loopback transport, and one hub sign-in walked through the test client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from chalicelib import runtime
from chalicelib.auth.sso import relying_party
from chalicelib.auth.sso.relying_party import HubIdentity
from tests.fakes import use_transport
from tests.loopback import LoopbackTransport
from tests.web_client import WebClient


def use_loopback(app: object | None = None) -> LoopbackTransport:
    """Outbound requests to the app's own base URL are served in-process."""
    if app is None:
        from app import app as chalice_app

        app = chalice_app
    rt = runtime.current()
    transport = LoopbackTransport(app, rt.settings.base_url)
    use_transport(rt, transport)
    return transport


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def callback_query(browser: WebClient, module: str = "portal", *, return_to: str = "/portal/",
                   purpose: str = "login") -> tuple[dict[str, str], str]:
    """A sign-in authorized by a browser with a hub session: (callback query, cookie)."""
    url, cookie = relying_party.start(runtime.current(), module, return_to=return_to,
                                      purpose=purpose)
    reply = browser.get(path_of(url))
    assert reply.status == 303, reply
    assert f"/{module}/sso/callback" in reply.location, reply
    return query_of(reply.location), cookie


def sign_in(browser: WebClient, module: str = "portal", **kwargs: str) -> HubIdentity:
    query, cookie = callback_query(browser, module, **kwargs)
    return relying_party.finish(runtime.current(), module, query=query, state_cookie=cookie)


def portal_security_admin_and_hub_master(company_name: str = "Linked MSP"):
    """A partner company with a Security Admin; a hub company whose Master has the same email."""
    from chalicelib.portal import companies
    from tests.auth.hub.helpers import make_account
    from tests.portal.helpers import make_user

    rt = runtime.current()
    hub = make_account(company_name=f"{company_name} Hub", username="sam")
    partner = companies.create_company(rt, company_name)
    admin = make_user(partner, username=f"sam-{partner.company_id[:6]}", email="sam@example.com")
    return hub, partner, admin


def link_directly(partner_id: str, hub_company) -> None:
    """Link a partner company to a hub company in storage (tests that are not about linking)."""
    from chalicelib.storage.portal import security_settings as security_store

    rt = runtime.current()
    security_store.link_company(partner_id, issuer=rt.settings.hub_issuer,
                                hub_company_id=hub_company.company_id,
                                hub_company_name=hub_company.name, now=rt.clock.now(),
                                actor="tests")


def hub_login_to_portal(browser: WebClient, next_path: str = "/portal/"):
    """Click Log In with Hub on the portal (the browser already has a hub session)."""
    reply = browser.get(f"/portal/sso/start?next={next_path}")
    assert reply.status == 303 and "/hub/oidc/authorize" in reply.location, reply
    reply = browser.get(path_of(reply.location))
    assert reply.status == 303 and "/portal/sso/callback" in reply.location, reply
    return browser.get(path_of(reply.location))


def link_on_the_link_page(browser: WebClient, user_id: str, password: str):
    """On the portal's "Link your accounts" page: pick the account, type its portal password."""
    page = browser.get("/portal/sso/link")
    assert page.status == 200 and "Link your accounts" in page.text, page
    return browser.post("/portal/sso/link", {"user_id": user_id, "password": password})


def hub_login_and_link(browser: WebClient, user, next_path: str = "/portal/",
                       password: str | None = None):
    """The first Log In with Hub of an existing portal user: the Link page, then its password."""
    from tests.portal.helpers import PASSWORD

    reply = hub_login_to_portal(browser, next_path)
    assert reply.status == 303 and reply.location == "/portal/sso/link", reply
    return link_on_the_link_page(browser, user.user_id, password or PASSWORD)
