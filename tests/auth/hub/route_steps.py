"""The untimed steps of the hub's call-budget rows: links read from queued mail, a push device,
module credentials, and the requests that are not a plain browser GET or POST."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl

from app import app
from chalicelib import runtime
from chalicelib.auth.hub import password_reset, totp
from chalicelib.auth.sso.hub_services import builtin_client
from devstack import push_device
from tests.auth.hub.helpers import PASSWORD, Account, current_code, log_in, make_account
from tests.auth.hub.oidc.flow import Rp
from tests.auth.hub.push.helpers import AppTransport, device_clock, enrollment_payload
from tests.web_client import Reply, WebClient

PORTAL_LAUNCH = "http://localhost:8000/portal/sso/launch"
LINK = re.compile(r"/hub/(?:invitation/|verify-email/|login/reset\?token=)[^\"\s\\]+")


@dataclass(frozen=True)
class Answer:
    """What a push device or a module's server sees of its request: the HTTP status."""

    status: int


class CountedTransport(AppTransport):
    """The device's in-process HTTP, remembering the status of its last reply."""

    last = 0

    def get(self, url: str, headers: dict[str, str] | None = None, timeout: float = 0) -> Any:
        reply = super().get(url, headers, timeout)
        self.last = reply.status_code
        return reply

    def post(self, url: str, json: Any = None, timeout: float = 0) -> Any:  # noqa: A002
        reply = super().post(url, json, timeout)
        self.last = reply.status_code
        return reply


def mailed_link(client: WebClient, after: int = 0) -> str:
    """The path (with its token) of the last link in the mail queued since `after`."""
    bodies = client.mails[after:]  # type: ignore[attr-defined]
    links = [found for body in bodies for found in LINK.findall(json.loads(body).get("text", ""))]
    assert links, bodies
    return str(links[-1])


def token_of(path: str) -> str:
    return path.split("token=", 1)[1]


# -- sign-in states --------------------------------------------------------------------------------

def at_password(client: WebClient, account: Account) -> Reply:
    """Steps one and two for `account`; the reply to its password POST."""
    client.get("/hub/login")
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name})
    client.get("/hub/login/password")
    return client.post("/hub/login/password", {"password": PASSWORD})


def logged_in(client: WebClient, account: Account) -> None:
    assert log_in(client, account).status == 303
    client.get("/hub/account")  # a page with a form, for the rows that post


def at_enrollment(client: WebClient, account: Account) -> None:
    """A colleague without an authenticator passed the password step: enrollment is next."""
    erin = make_account(username="erin", role="User", enrolled=False, company=account.company)
    assert at_password(client, erin).location == "/hub/login/enroll"
    page = client.get("/hub/login/enroll")
    uri = re.search(r'id="otpauth-uri">([^<]+)<', page.text)
    assert uri, page
    secret = re.search(r"secret=([A-Z2-7]+)", uri.group(1))
    assert secret
    client.extras = secret.group(1)  # type: ignore[attr-defined]


def enroll_code(client: WebClient, account: Account) -> Reply:
    code = totp.code_at(client.extras, runtime.current().clock.now())  # type: ignore[attr-defined]
    return client.post("/hub/login/enroll", {"code": code})


# -- links by mail ---------------------------------------------------------------------------------

def invited(client: WebClient, account: Account) -> None:
    """The Master invites dave; a fresh browser holds the link of the invitation mail."""
    logged_in(client, account)
    client.get("/hub/admin/users")
    seen = len(client.mails)  # type: ignore[attr-defined]
    assert client.post("/hub/admin/users", {"username": "dave", "email": "dave@example.com",
                                            "name": "Dave", "password": "", "role": "User",
                                            "module_portal": "on"}).status == 303
    client.extras = mailed_link(client, seen)  # type: ignore[attr-defined]
    client.cookies.clear()


def opened(client: WebClient, account: Account) -> None:
    """As `invited`, with the link's page open (its form and CSRF token)."""
    invited(client, account)
    assert client.get(client.extras).status == 200  # type: ignore[attr-defined]


def post_link(form: dict[str, str]) -> Callable[[WebClient, Account], Reply]:
    """Submit the open link page's form with its token."""
    def request(client: WebClient, account: Account) -> Reply:
        path = client.extras  # type: ignore[attr-defined]
        return client.post(path.split("?", 1)[0], {"token": token_of(path), **form})
    return request


def get_link(client: WebClient, account: Account) -> Reply:
    return client.get(client.extras)  # type: ignore[attr-defined]


def email_changed(client: WebClient, account: Account) -> None:
    """The Master gives bob a new address; a fresh browser holds the mailed confirmation link."""
    logged_in(client, account)
    bob = make_account(username="bob", role="User", company=account.company)
    client.get("/hub/admin/users")
    seen = len(client.mails)  # type: ignore[attr-defined]
    assert client.post(f"/hub/admin/users/{bob.user.user_id}", {
        "action": "change_email", "email": "robert@example.com"}).status == 303
    client.extras = mailed_link(client, seen)  # type: ignore[attr-defined]
    client.cookies.clear()


def email_link_opened(client: WebClient, account: Account) -> None:
    email_changed(client, account)
    assert client.get(client.extras).status == 200  # type: ignore[attr-defined]


def forgot_form(client: WebClient, account: Account) -> None:
    client.get("/hub/login/forgot")


def reset_link(client: WebClient, account: Account) -> None:
    """alice asked for a reset link; the mail queue's job ran and mailed it."""
    client.get("/hub/login/forgot")
    seen = len(client.mails)  # type: ignore[attr-defined]
    assert client.post("/hub/login/forgot", {"company": account.company.name,
                                             "username": account.user.username}).status == 200
    for job in client.mails[seen:]:  # type: ignore[attr-defined]
        password_reset.run_request(runtime.current(), json.loads(job))
    client.extras = mailed_link(client, seen)  # type: ignore[attr-defined]


def reset_opened(client: WebClient, account: Account) -> None:
    reset_link(client, account)
    assert client.get(client.extras).status == 200  # type: ignore[attr-defined]


# -- a push device ---------------------------------------------------------------------------------

def with_device(client: WebClient, account: Account) -> None:
    """alice added a device from her account page, then signed out (the device is extras)."""
    logged_in(client, account)
    payload = enrollment_payload(client)
    transport = CountedTransport(app)
    key_file = Path(client.scratch) / "device.json"  # type: ignore[attr-defined]
    client.extras = push_device.enroll(payload, "Work laptop", key_file=key_file,  # type: ignore[attr-defined]
                                       http=transport, now=device_clock)
    client.cookies.clear()


def enroll_payload(client: WebClient, account: Account) -> None:
    logged_in(client, account)
    client.extras = enrollment_payload(client)  # type: ignore[attr-defined]


def device_enrolls(client: WebClient, account: Account) -> Answer:
    transport = CountedTransport(app)
    key_file = Path(client.scratch) / "device.json"  # type: ignore[attr-defined]
    push_device.enroll(client.extras, "Work laptop", key_file=key_file,  # type: ignore[attr-defined]
                       http=transport, now=device_clock)
    return Answer(transport.last)


def push_waiting(client: WebClient, account: Account) -> None:
    """With a device enrolled, alice passed the password step: the push page is open."""
    with_device(client, account)
    assert at_password(client, account).location == "/hub/login/push"
    client.get("/hub/login/push")


def device_asks(client: WebClient, account: Account) -> Answer:
    device: push_device.Device = client.extras  # type: ignore[attr-defined]
    device.pending()
    return Answer(cast(CountedTransport, device.http).last)


def device_answers(client: WebClient, account: Account) -> Answer:
    device: push_device.Device = client.extras  # type: ignore[attr-defined]
    device.answer(client.seen, client.number, approve=True)  # type: ignore[attr-defined]
    return Answer(cast(CountedTransport, device.http).last)


def push_seen(client: WebClient, account: Account) -> None:
    """The device listed the sign-in request; the browser shows its number."""
    push_waiting(client, account)
    device: push_device.Device = client.extras  # type: ignore[attr-defined]
    (client.seen,) = device.pending()  # type: ignore[attr-defined]
    number = re.search(r'id="push-number"[^>]*>(\d+)<', client.last.text)  # type: ignore[union-attr]
    assert number
    client.number = int(number.group(1))  # type: ignore[attr-defined]


def push_approved(client: WebClient, account: Account) -> None:
    push_seen(client, account)
    assert device_answers(client, account).status == 200
    client.get("/hub/login/push")


def device_signed_in(client: WebClient, account: Account) -> None:
    """alice has a device and signed in again with her 2FA token; her account page is open."""
    with_device(client, account)
    assert at_password(client, account).location == "/hub/login/push"
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/use-token").location == "/hub/login/verify"
    client.get("/hub/login/verify")
    assert account.totp_secret
    runtime.current().clock.advance(seconds=totp.PERIOD)  # type: ignore[attr-defined]
    assert client.post("/hub/login/verify",
                       {"code": current_code(account.totp_secret)}).status == 303
    client.get("/hub/account")


def remove_device(client: WebClient, account: Account) -> Reply:
    device: push_device.Device = client.extras  # type: ignore[attr-defined]
    return client.post(f"/hub/account/push/devices/{device.data['device_id']}/remove")


# -- OIDC and the modules' server calls ------------------------------------------------------------

def authorize_by_post(client: WebClient, account: Account) -> Reply:
    fields = dict(parse_qsl(Rp.builtin().authorize_path().split("?", 1)[1]))
    return client.post("/hub/oidc/authorize", fields, csrf=None)


def with_access_token(client: WebClient, account: Account) -> None:
    logged_in(client, account)
    rp = Rp.builtin()
    reply = rp.token(client, rp.code(client))
    client.extras = reply.json["access_token"]  # type: ignore[attr-defined]


def userinfo_by_post(client: WebClient, account: Account) -> Reply:
    token = client.extras  # type: ignore[attr-defined]
    return client.request("POST", "/hub/oidc/userinfo",
                          headers={"authorization": f"Bearer {token}"})


def logout_asked(client: WebClient, account: Account) -> None:
    logged_in(client, account)
    assert client.get("/hub/oidc/logout?client_id=portal").status == 200


def module_headers(module: str, content_type: str) -> dict[str, str]:
    client_id, secret, _ = builtin_client(runtime.current().settings, module)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"authorization": f"Basic {basic}", "content-type": content_type}


def module_links(client: WebClient, account: Account) -> Reply:
    return client.post("/hub/modules/portal/link", {
        "access_token": client.extras, "launch_url": PORTAL_LAUNCH},  # type: ignore[attr-defined]
        csrf=None, headers=module_headers("portal", "application/x-www-form-urlencoded"))


def module_unlinks(client: WebClient, account: Account) -> Reply:
    return client.post("/hub/modules/portal/unlink",
                       {"hub_company_id": account.company.company_id}, csrf=None,
                       headers=module_headers("portal", "application/x-www-form-urlencoded"))


def module_publishes(client: WebClient, account: Account) -> Reply:
    body = {"hub_company_id": account.company.company_id, "insights": [
        {"kind": "sync", "title": "Never synced", "detail": "Connect a vendor",
         "severity": "info"}]}
    return client.request("PUT", "/hub/modules/portal/insights", body=json.dumps(body),
                          headers=module_headers("portal", "application/json"))


def clients_form(client: WebClient, account: Account) -> None:
    logged_in(client, account)
    client.get("/hub/admin/clients")


def client_registered(client: WebClient, account: Account) -> None:
    clients_form(client, account)
    assert client.post("/hub/admin/clients", NEW_CLIENT).status == 303


NEW_CLIENT = {"name": "Billing", "redirect_uris": "https://billing.example/callback",
              "post_logout_redirect_uris": ""}


def users_form(client: WebClient, account: Account) -> None:
    logged_in(client, account)
    client.get("/hub/admin/users")
