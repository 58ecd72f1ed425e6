"""Push test helpers: the command-line device talking to the app in-process, enrollment, login."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from chalice.test import Client

from chalicelib import runtime
from devstack import push_device
from tests.auth.hub.helpers import Account, current_code, log_in
from tests.web_client import Reply, WebClient

PAYLOAD = re.compile(r'id="push-enroll-payload">([^<]+)<')
NUMBER = re.compile(r'id="push-number"[^>]*>(\d+)<')


class DeviceReply:
    """The part of a `requests.Response` the device reads."""

    def __init__(self, raw: Any) -> None:
        self.status_code = raw.status_code
        self._body = raw.body or b""

    def json(self) -> Any:
        return json.loads(self._body)


class AppTransport:
    """A `requests.Session` stand-in that sends the device's HTTP to the app in-process."""

    def __init__(self, app: Any) -> None:
        self._client = Client(app)
        self.sent: list[tuple[str, str, dict[str, str], Any]] = []

    def get(self, url: str, headers: dict[str, str] | None = None, timeout: float = 0) -> Any:
        self.sent.append(("GET", urlsplit(url).path, dict(headers or {}), None))
        return DeviceReply(self._client.http.get(urlsplit(url).path, headers=headers or {}))

    def post(self, url: str, json: Any = None, timeout: float = 0) -> Any:  # noqa: A002
        import json as json_module

        self.sent.append(("POST", urlsplit(url).path, {}, json))
        return DeviceReply(self._client.http.post(
            urlsplit(url).path, headers={"content-type": "application/json"},
            body=json_module.dumps(json),
        ))

    def replay(self, index: int = -1) -> DeviceReply:
        """Send an earlier request again, byte for byte (a replay attack)."""
        method, path, headers, body = self.sent[index]
        if method == "GET":
            return DeviceReply(self._client.http.get(path, headers=headers))
        return DeviceReply(self._client.http.post(
            path, headers={"content-type": "application/json"}, body=json.dumps(body)))


def device_clock() -> float:
    """The device's clock agrees with the app's frozen clock."""
    return runtime.current().clock.now().timestamp()


def enrollment_payload(client: WebClient) -> str:
    """Open the account page and press Add a device; returns the enrollment code shown."""
    client.get("/hub/account")
    page = client.post("/hub/account/push/enroll")
    assert page.status == 200, page
    return PAYLOAD.search(page.text).group(1)


def enroll_device(
    client: WebClient, app: Any, key_file: Path, name: str = "Work laptop",
    algorithm: str = "Ed25519",
) -> push_device.Device:
    """Sign in with the 2FA token, add a device from the account page, sign out."""
    payload = enrollment_payload(client)
    device = push_device.enroll(payload, name, algorithm=algorithm, key_file=key_file,
                                http=AppTransport(app), now=device_clock)
    client.cookies.clear()
    return device


def signed_in_with_device(
    client: WebClient, account: Account, app: Any, key_file: Path, **options: Any
) -> push_device.Device:
    assert log_in(client, account).status == 303
    return enroll_device(client, app, key_file, **options)


def password_step(client: WebClient, account: Account) -> Reply:
    """Steps one and two; returns the reply to the password POST."""
    client.get("/hub/login")
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name})
    client.get("/hub/login/password")
    return client.post("/hub/login/password", {"password": account.password})


def shown_number(client: WebClient) -> int:
    """Open the push page and read the number the browser shows."""
    page = client.get("/hub/login/push")
    assert page.status == 200, page
    return int(NUMBER.search(page.text).group(1))


def only_pending(device: push_device.Device) -> push_device.PendingChallenge:
    waiting = device.pending()
    assert len(waiting) == 1, waiting
    return waiting[0]


def log_in_with_code(client: WebClient, account: Account) -> Reply:
    """A user with a push device chooses "Use a 2FA token instead" and types the code."""
    assert password_step(client, account).location == "/hub/login/push"
    client.get("/hub/login/push")
    assert client.post("/hub/login/push/use-token").location == "/hub/login/verify"
    client.get("/hub/login/verify")
    return client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})
