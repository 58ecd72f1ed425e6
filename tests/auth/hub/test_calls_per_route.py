"""DynamoDB calls per hub request: every page, login step and OIDC endpoint within its budget.

Each row signs in (or walks the login) as a user would, then counts the calls of one request
(`tables.counting_calls()`, transactions included). Counts are deterministic; a row fails with
its route's name, the count and the operations. Lifecycle events the request sends to the
modules are held on their queue while counting (in AWS each is another function's invocation,
with its own calls) and delivered afterwards; the row says how many it sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from chalicelib import runtime
from chalicelib.auth.hub import totp
from chalicelib.storage import tables
from chalicelib.storage.hub import companies as company_store
from tests.auth.hub.helpers import PASSWORD, Account, current_code, make_account
from tests.auth.hub.oidc.flow import Rp
from tests.web_client import Reply, WebClient


@dataclass(frozen=True)
class Row:
    """One request: how to get there (untimed), the request itself, its answer and budget."""

    route: str
    request: Callable[[WebClient, Account], Reply]
    status: int
    budget: int
    before: Callable[[WebClient, Account], None] = lambda client, account: None
    events: int = 0  # lifecycle messages the request sends to the modules


def _logged_in(client: WebClient, account: Account) -> None:
    _at_code(client, account)
    assert account.totp_secret
    assert client.post("/hub/login/verify", {"code": current_code(account.totp_secret)}).status \
        == 303
    client.get("/hub/account")  # a page with a form, for the rows that post


def _at_password(client: WebClient, account: Account) -> None:
    client.get("/hub/login")
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name})
    client.get("/hub/login/password")


def _at_code(client: WebClient, account: Account) -> None:
    _at_password(client, account)
    assert client.post("/hub/login/password", {"password": PASSWORD}).status == 303
    client.get("/hub/login/verify")


def _code(client: WebClient, account: Account) -> Reply:
    runtime.current().clock.advance(seconds=totp.PERIOD)  # type: ignore[attr-defined]
    assert account.totp_secret
    return client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})


def _with_code(client: WebClient, account: Account) -> None:
    _logged_in(client, account)
    rp = Rp.builtin()
    client.extras = (rp, rp.code(client))  # type: ignore[attr-defined]


def _token(client: WebClient, account: Account) -> Reply:
    rp, code = client.extras  # type: ignore[attr-defined]
    return rp.token(client, code)


def _with_access_token(client: WebClient, account: Account) -> None:
    _with_code(client, account)
    client.extras = _token(client, account).json["access_token"]  # type: ignore[attr-defined]


def _userinfo(client: WebClient, account: Account) -> Reply:
    token = client.extras  # type: ignore[attr-defined]
    return client.get("/hub/oidc/userinfo", headers={"authorization": f"Bearer {token}"})


def _get(path: str) -> Callable[[WebClient, Account], Reply]:
    return lambda client, account: client.get(path)


def _post(path: str, **form: str) -> Callable[[WebClient, Account], Reply]:
    return lambda client, account: client.post(path, form)


def _second_user(client: WebClient, account: Account) -> str:
    other = make_account(username="bob", role="User", company=account.company)
    return other.user.user_id


def _on_bob(action: str, **form: str) -> Callable[[WebClient, Account], Reply]:
    def request(client: WebClient, account: Account) -> Reply:
        bob = client.extras  # type: ignore[attr-defined]
        return client.post(f"/hub/admin/users/{bob}", {"action": action, **form})
    return request


def _logged_in_with_bob(client: WebClient, account: Account) -> None:
    _logged_in(client, account)
    client.extras = _second_user(client, account)  # type: ignore[attr-defined]


def _bob_delete_page(client: WebClient, account: Account) -> Reply:
    return client.get(f"/hub/admin/users/{client.extras}/delete")  # type: ignore[attr-defined]


ROWS = [
    Row("GET /hub/login", _get("/hub/login"), 200, 0),
    Row("POST /hub/login", _post("/hub/login", username="alice", company="Acme MSP"), 303, 0,
        lambda client, account: client.get("/hub/login") and None),
    Row("GET /hub/login/password", _get("/hub/login/password"), 200, 0, _at_password),
    Row("POST /hub/login/password", _post("/hub/login/password", password=PASSWORD), 303, 2,
        _at_password),
    Row("POST /hub/login/password (wrong)", _post("/hub/login/password", password="nope-nope"),
        401, 2, _at_password),
    Row("GET /hub/login/verify", _get("/hub/login/verify"), 200, 0, _at_code),
    Row("POST /hub/login/verify", _code, 303, 2, _at_code),
    Row("GET /hub/", _get("/hub/"), 200, 3, _logged_in),
    Row("GET /hub/account", _get("/hub/account"), 200, 3, _logged_in),
    Row("GET /hub/admin/users", _get("/hub/admin/users"), 200, 3, _logged_in),
    Row("GET /hub/admin/clients", _get("/hub/admin/clients"), 200, 3, _logged_in),
    Row("GET /hub/launch/portal", _get("/hub/launch/portal"), 303, 3, _logged_in),
    Row("GET /hub/admin/users/{id}/delete", _bob_delete_page, 200, 3, _logged_in_with_bob),
    Row("POST /hub/admin/users/{id} grant", _on_bob("grant", module="itdocs"), 303, 3,
        _logged_in_with_bob),
    Row("POST /hub/admin/users/{id} deactivate", _on_bob("deactivate"), 303, 3,
        _logged_in_with_bob, events=2),
    Row("POST /hub/admin/users/{id} revoke", _on_bob("revoke", module="portal"), 303, 3,
        _logged_in_with_bob, events=2),
    Row("POST /hub/admin/users/{id} reset_mfa", _on_bob("reset_mfa"), 303, 3,
        _logged_in_with_bob, events=1),
    Row("GET /hub/oidc/authorize", lambda client, account: client.get(
        Rp.builtin().authorize_path()), 303, 3, _logged_in),
    Row("POST /hub/oidc/token", _token, 200, 3, _with_code),
    Row("GET /hub/oidc/userinfo", _userinfo, 200, 3, _with_access_token),
    Row("POST /hub/logout", _post("/hub/logout"), 303, 3, _logged_in, events=1),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.route for row in ROWS])
def test_each_hub_request_keeps_its_call_budget(client: WebClient, row: Row,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    account = make_account()
    company_store.set_company_module(account.company.company_id, "portal", {
        "launch_url": "http://localhost:8000/portal/sso/start", "linked_at": "now"})
    client.get("/hub/oidc/jwks")  # the signing keys are read once per runtime, then cached
    row.before(client, account)
    lifecycle = runtime.current().queues.lifecycle
    deliver, held = lifecycle.send, []
    monkeypatch.setattr(lifecycle, "send", held.append)
    with tables.counting_calls() as counter:
        reply = row.request(client, account)
    monkeypatch.undo()
    for body in held:
        deliver(body)
    assert reply.status == row.status, (row.route, reply)
    assert "Scan" not in counter.calls, (row.route, counter.calls)
    assert counter.total <= row.budget, (row.route, counter.total, counter.calls)
    assert len(held) == row.events, (row.route, held)
