"""What every page sends: security headers, cookie attributes, errors without internals."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.errors import NotFound
from chalicelib.web.http import local_path
from chalicelib.web.routing import page_route


def test_pages_carry_security_headers(client):
    reply = client.get("/hub/login")
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
    assert "script-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-store"
    assert reply.headers["x-content-type-options"] == "nosniff"


def test_cookies_are_httponly_lax_and_scoped_to_their_context(client):
    reply = client.get("/hub/login")
    cookie = reply.headers["set-cookie"]
    cookie = cookie if isinstance(cookie, str) else cookie[0]
    assert cookie.startswith("lh_hub_csrf=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/hub" in cookie
    assert "Secure" not in cookie  # local plain-HTTP stage


def test_cookies_are_secure_outside_local(aws):
    from chalicelib.web.http import cookie

    settings = aws.settings.with_overrides(base_url="https://linkhub.example.com")
    assert settings.cookie_secure
    assert "Secure" in cookie("x", "y", path="/hub", secure=settings.cookie_secure)


def test_unknown_failures_show_no_stack_trace(aws):
    from chalice import Chalice

    from tests.web_client import WebClient

    bp = Blueprint("boom")

    @page_route(bp, "/boom", "hub")
    def boom(page):
        raise RuntimeError("secret internals /etc/passwd")

    @page_route(bp, "/missing", "hub")
    def missing(page):
        raise NotFound("No such thing.")

    app = Chalice("boom")
    app.register_blueprint(bp)
    browser = WebClient(app)
    reply = browser.get("/boom")
    assert reply.status == 500 and "internals" not in reply.text and "Traceback" not in reply.text
    assert "Something went wrong" in reply.text
    assert browser.get("/missing").status == 404


def test_return_to_accepts_only_local_paths():
    assert local_path("/hub/admin/users?x=1", "/") == "/hub/admin/users?x=1"
    bad_targets = ["https://evil.example/", "//evil.example/", "/\\evil.example",
                   "javascript:alert(1)", "hub/", "/x\n"]
    for bad in bad_targets:
        assert local_path(bad, "/hub/") == "/hub/"


def test_static_assets_are_served_and_nothing_else(client):
    assert client.get("/static/app.css").status == 200
    assert client.get("/static/..%2Fpage.py").status == 404


def _form_action(reply) -> list[str]:
    (directive,) = [d.strip() for d in reply.headers["content-security-policy"].split(";")
                    if d.strip().startswith("form-action")]
    return directive.split()[1:]


def test_forms_may_post_only_to_this_app_and_the_hub(client, aws):
    reply = client.get("/hub/login")
    assert _form_action(reply) == ["'self'", "http://localhost:8000"]
    for anywhere in ("https:", "http://localhost:*", "*", "https://evil.example"):
        assert anywhere not in _form_action(reply)
    assert "strict-transport-security" not in reply.headers  # local plain-HTTP stage


def test_https_deployments_send_hsts_and_their_own_hub_origin(aws, frozen_time):
    from app import app
    from chalicelib import runtime
    from tests.fakes import build_for_tests
    from tests.web_client import WebClient

    deployed = aws.settings.with_overrides(base_url="https://linkhub.example.com", stage="prod")
    runtime.install(build_for_tests(deployed, clock=frozen_time))
    for path in ("/hub/login", "/portal/login", "/itdocs/login", "/hub/oidc/jwks"):
        reply = WebClient(app).get(path)
        assert reply.headers["strict-transport-security"].startswith("max-age=31536000"), path
        assert _form_action(reply) == ["'self'", "https://linkhub.example.com"], path



def test_a_login_for_a_registered_client_may_end_at_its_address_and_no_other(client, aws):
    from urllib.parse import urlencode

    from chalicelib.auth.hub.oidc import clients
    from tests.auth.hub.helpers import make_account

    master = make_account(username="master")
    registered, _ = clients.register(aws, master.user, "Ticketing", "https://tickets.example/cb")
    user = make_account(username="dana", company=master.company)

    def verify_page_form_action(redirect_uri: str) -> list[str]:
        client.cookies.clear()
        authorize = "/hub/oidc/authorize?" + urlencode(
            {"client_id": registered.client_id, "redirect_uri": redirect_uri})
        client.get("/hub/login")
        client.post("/hub/login", {"username": user.user.username, "company": user.company.name,
                                   "next": authorize})
        client.get("/hub/login/password")
        assert client.post("/hub/login/password", {"password": user.password}).status == 303
        return _form_action(client.get("/hub/login/verify"))

    assert "https://tickets.example" in verify_page_form_action("https://tickets.example/cb")
    assert "https://evil.example" not in verify_page_form_action("https://evil.example/cb")


def test_signed_in_pages_of_every_product_carry_the_headers_and_are_never_cached(client, aws):
    from tests.auth.hub.helpers import log_in as hub_log_in
    from tests.auth.hub.helpers import make_account
    from tests.itdocs import helpers as itdocs
    from tests.portal.helpers import log_in as portal_log_in
    from tests.portal.helpers import make_partner, make_user

    assert hub_log_in(client, make_account()).status == 303
    portal_user = make_user(make_partner(customers=()).company)
    assert portal_log_in(client, portal_user.username).status == 303
    itdocs.sign_in(client, itdocs.make_user(itdocs.make_account()))
    for path in ("/hub/", "/hub/account", "/portal/", "/portal/saas", "/itdocs/organizations",
                 "/itdocs/account/users"):
        reply = client.get(path)
        assert reply.status == 200, path
        policy = reply.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy, path
        assert reply.headers["x-frame-options"] == "DENY", path
        assert reply.headers["cache-control"] == "no-store", path


def test_a_session_from_before_a_deactivation_never_works_again(client, aws):
    from chalicelib.auth.hub import accounts
    from tests.auth.hub.helpers import log_in as hub_log_in
    from tests.auth.hub.helpers import make_account

    master = make_account(username="mona")
    user = make_account(username="vic", role="User", company=master.company)
    assert hub_log_in(client, user).status == 303
    old_cookie = client.cookies["lh_hub_session"]
    assert client.get("/hub/").status == 200
    accounts.set_status(aws, master.user, user.user.user_id, "deactivated")
    accounts.set_status(aws, master.user, user.user.user_id, "active")
    client.cookies.clear()
    client.cookies["lh_hub_session"] = old_cookie
    replay = client.get("/hub/")
    assert replay.status == 303 and replay.location.startswith("/hub/login")
