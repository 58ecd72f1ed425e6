"""DynamoDB calls per hub request: every page, login step and OIDC endpoint within its budget.

Each row signs in (or walks the login) as a user would, then counts the calls of one request
(`tables.counting_calls()`, transactions included). Counts are deterministic; a row fails with
its route's name, the count and the operations. Lifecycle events the request sends to the
modules are held on their queue while counting (in AWS each is another function's invocation,
with its own calls) and delivered afterwards; the row says how many it sends. Mail-queue messages
(a mail, or a job composing mails) are kept, never sent; links the rows need are read from them.
A row over the goal of 3 says why (`over=`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from chalicelib import runtime
from chalicelib.auth.hub import totp
from chalicelib.storage import tables
from chalicelib.storage.hub import companies as company_store
from tests.auth.hub import route_steps as steps
from tests.auth.hub.helpers import PASSWORD, Account, current_code, make_account
from tests.auth.hub.oidc.flow import Rp
from tests.web_client import Reply, WebClient

GOAL = 3


class Answered(Protocol):
    """A browser's reply, or what a device or a module's server sees of its own request."""

    @property
    def status(self) -> int: ...


@dataclass(frozen=True)
class Row:
    """One request: how to get there (untimed), the request itself, its answer and budget."""

    route: str
    request: Callable[[WebClient, Account], Answered]
    status: int
    budget: int
    before: Callable[[WebClient, Account], None] = lambda client, account: None
    events: int = 0  # lifecycle messages the request sends to the modules
    mails: int = 0  # mail-queue messages (mails, or a job that composes them) it sends
    over: str = ""  # why the budget must exceed the goal of 3, when it does


def _logged_in(client: WebClient, account: Account) -> None:
    _at_code(client, account)
    assert account.totp_secret
    assert client.post("/hub/login/verify", {"code": current_code(account.totp_secret)}).status \
        == 303
    client.get("/hub/account")  # a page with a form, for the rows that post


def _at_start(client: WebClient, account: Account) -> None:
    client.get("/hub/login")


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
        _at_start),
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
        _logged_in_with_bob, events=1, mails=1),
    Row("GET /hub/oidc/authorize", lambda client, account: client.get(
        Rp.builtin().authorize_path()), 303, 3, _logged_in),
    Row("POST /hub/oidc/token", _token, 200, 3, _with_code),
    Row("GET /hub/oidc/userinfo", _userinfo, 200, 3, _with_access_token),
    Row("POST /hub/logout", _post("/hub/logout"), 303, 3, _logged_in, events=1),
    # -- OIDC discovery, the POST forms of authorize and userinfo, RP-initiated logout -----------
    Row("GET /hub/.well-known/openid-configuration",
        _get("/hub/.well-known/openid-configuration"), 200, 0),
    Row("GET /hub/oidc/jwks", _get("/hub/oidc/jwks"), 200, 0),
    Row("POST /hub/oidc/authorize", steps.authorize_by_post, 303, 3, _logged_in),
    Row("POST /hub/oidc/userinfo", steps.userinfo_by_post, 200, 3, steps.with_access_token),
    Row("GET /hub/oidc/logout", _get("/hub/oidc/logout?client_id=portal"), 200, 3, _logged_in),
    Row("POST /hub/oidc/logout", _post("/hub/oidc/logout", client_id="portal"), 200, 3,
        steps.logout_asked, events=1),
    # -- the account page: password, push devices ------------------------------------------------
    Row("POST /hub/account/password", _post(
        "/hub/account/password", current_password=PASSWORD, password="amber-meadow-falcon-77",
        confirmation="amber-meadow-falcon-77"), 303, 3, _logged_in, events=1, mails=1),
    Row("POST /hub/account/push/enroll", _post("/hub/account/push/enroll"), 200, 3, _logged_in),
    Row("POST /hub/account/push/devices/{id}/remove", steps.remove_device, 303, 3,
        steps.device_signed_in, mails=1),
    # -- administration: users and OIDC clients ---------------------------------------------------
    Row("POST /hub/admin/users", _post(
        "/hub/admin/users", username="carol", email="carol@example.com", name="Carol",
        password="violet-canyon-harbor-31", role="User", module_portal="on"), 303, 3,
        steps.users_form, mails=1),
    Row("POST /hub/admin/users (invite)", _post(
        "/hub/admin/users", username="dave", email="dave@example.com", name="Dave",
        password="", role="User", module_portal="on"), 303, 3, steps.users_form, mails=1),
    Row("POST /hub/admin/clients", _post("/hub/admin/clients", **steps.NEW_CLIENT), 303, 3,
        steps.clients_form),
    Row("GET /hub/admin/clients/created", _get("/hub/admin/clients/created"), 200, 3,
        steps.client_registered),
    # -- links by mail: invitation, email confirmation, forgotten password ------------------------
    Row("GET /hub/invitation/{id}", steps.get_link, 200, 3, steps.invited),
    Row("POST /hub/invitation/{id}", steps.post_link({
        "password": "quiet-river-lantern-58", "confirmation": "quiet-river-lantern-58"}),
        303, 3, steps.opened),
    Row("GET /hub/verify-email/{id}", steps.get_link, 200, 3, steps.email_changed),
    Row("POST /hub/verify-email/{id}", steps.post_link({}), 200, 3, steps.email_link_opened),
    Row("GET /hub/login/forgot", _get("/hub/login/forgot"), 200, 0),
    Row("POST /hub/login/forgot", _post("/hub/login/forgot", company="Acme MSP",
                                       username="alice"), 200, 0, steps.forgot_form, mails=1),
    Row("GET /hub/login/reset", steps.get_link, 200, 3, steps.reset_link),
    Row("POST /hub/login/reset", steps.post_link({
        "password": "amber-meadow-falcon-77", "confirmation": "amber-meadow-falcon-77"}),
        200, 3, steps.reset_opened, events=1, mails=1),
    # -- the first login's authenticator enrollment -----------------------------------------------
    Row("GET /hub/login/enroll", _get("/hub/login/enroll"), 200, 1, steps.at_enrollment),
    Row("POST /hub/login/enroll", steps.enroll_code, 303, 3, steps.at_enrollment, mails=1),
    # -- the push login and the device's API ------------------------------------------------------
    Row("POST /hub/push/enroll", steps.device_enrolls, 201, 3, steps.enroll_payload, mails=1),
    Row("GET /hub/login/push", _get("/hub/login/push"), 200, 3, steps.push_waiting),
    Row("GET /hub/login/push/status", _get("/hub/login/push/status"), 200, 3, steps.push_waiting),
    Row("GET /hub/push/pending", steps.device_asks, 200, 3, steps.push_waiting),
    Row("POST /hub/push/answer", steps.device_answers, 200, 3, steps.push_seen),
    Row("POST /hub/login/push/complete", _post("/hub/login/push/complete"), 303, 3,
        steps.push_approved),
    Row("POST /hub/login/push/resend", _post("/hub/login/push/resend"), 303, 3,
        steps.push_waiting),
    Row("POST /hub/login/push/use-token", _post("/hub/login/push/use-token"), 303, 3,
        steps.push_waiting),
    # -- the modules' servers (client credentials) ------------------------------------------------
    Row("POST /hub/modules/{module}/link", steps.module_links, 200, 3, steps.with_access_token),
    Row("POST /hub/modules/{module}/unlink", steps.module_unlinks, 200, 3),
    Row("PUT /hub/modules/{module}/insights", steps.module_publishes, 200, 3),
]


def test_a_row_over_the_goal_says_why() -> None:
    """The budget table itself: every row over the goal gives its reason, no row a needless one."""
    assert [row.route for row in ROWS if (row.budget > GOAL) != bool(row.over)] == []


@pytest.mark.parametrize("row", ROWS, ids=[row.route for row in ROWS])
def test_each_hub_request_keeps_its_call_budget(client: WebClient, row: Row, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    account = make_account()
    mails: list[str] = []
    client.mails, client.scratch = mails, tmp_path  # type: ignore[attr-defined]
    monkeypatch.setattr(runtime.current().queues.mail, "send", mails.append)
    company_store.set_company_module(account.company.company_id, "portal", {
        "launch_url": "http://localhost:8000/portal/sso/start", "linked_at": "now"})
    client.get("/hub/oidc/jwks")  # the signing keys are read once per runtime, then cached
    row.before(client, account)
    lifecycle = runtime.current().queues.lifecycle
    deliver, mailed = lifecycle.send, len(mails)
    held: list[str] = []
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
    assert len(mails) - mailed == row.mails, (row.route, mails[mailed:])
