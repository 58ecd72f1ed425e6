"""The hub login's low-level calls (`storage.hub.sign_in`) against the model layer, on DynamoDB
Local: the same items written, the same users decoded, the same attempts taken or refused at every
point of the throttle, and DynamoDB's refusals mapped as the models map them (a throttled call is
retried as botocore retries it, then "temporarily unavailable", and writes nothing; a conflict is
written again). Faults are answered by a local endpoint in front of DynamoDB Local
(`dynamodb_faults`), since the lean transport does not pass through botocore."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pynamodb.connection import Connection

from chalicelib.auth import throttle
from chalicelib.errors import ConcurrentChange, StorageRejected, StorageUnavailable
from chalicelib.runtime import Runtime
from chalicelib.storage import low_level, tables
from chalicelib.storage.base import ttl_after
from chalicelib.storage.dynamodb_wire import Limits
from chalicelib.storage.hub import sign_in
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.sessions import HubSession, HubSessionModel, start_after_code
from chalicelib.storage.hub.users import HubUserModel
from tests.auth.hub.helpers import PASSWORD, Account, current_code, log_in, make_account
from tests.conftest import unique
from tests.storage.dynamodb_faults import (
    FaultyEndpoint,
    Waits,
    WireFault,
    faulty_endpoint,
    hot_calls_through,
)
from tests.storage.test_transactions_ddblocal import CONFLICT, THROTTLED, assert_unavailable
from tests.web_client import WebClient

pytestmark = pytest.mark.ddblocal

TOUCHED = ("totp_last_step", "failures", "password_failures", "last_login_at", "totp_secret",
           "totp_pending", "last_failure_at", "last_password_failure_at")
COUNTERS = ("failures", "password_failures", "last_failure_at", "last_password_failure_at")


def _raw(model: Any, key: str, value: str) -> dict[str, Any]:
    answer = tables.connection().client.get_item(TableName=model.Meta.table_name,
                                                 Key={key: {"S": value}}, ConsistentRead=True)
    return dict(answer.get("Item", {}))


def _twins() -> tuple[Account, Account]:
    first = make_account(unique("Twin Co"))
    return first, make_account(username="bob", company=first.company)


def _session(user_id: str, company_id: str, now: dt.datetime) -> HubSession:
    return HubSession(session_key=uuid.uuid4().hex, user_id=user_id, company_id=company_id,
                      created_at=now, last_seen_at=now, expires_at=now + dt.timedelta(hours=12),
                      epoch=3)


def test_the_session_and_user_written_at_the_code_step_are_those_the_models_write(ddb: Runtime):
    lean, model = _twins()
    now = ddb.clock.now()
    secret = "pending-secret-sealed"
    for account in (lean, model):
        store.update_user(account.user.user_id, totp_pending=secret, failures=3)
    session = _session(lean.user.user_id, lean.company.company_id, now)
    assert start_after_code(session, 12345, secret)

    m = HubUserModel
    HubUserModel(model.user.user_id).update(actions=[
        m.totp_last_step.set(12345), m.failures.set(0), m.password_failures.set(0),
        m.last_login_at.set(now), m.totp_secret.set(secret), m.totp_pending.remove()])
    reference = _session(model.user.user_id, lean.company.company_id, now)
    HubSessionModel(expires_ttl=ttl_after(reference.expires_at, 0),
                    **{name: getattr(reference, name) for name in vars(reference)}).save()

    written = _raw(HubSessionModel, "session_key", session.session_key)
    expected = _raw(HubSessionModel, "session_key", reference.session_key)
    assert {k: v for k, v in written.items() if k not in ("session_key", "user_id")} == \
        {k: v for k, v in expected.items() if k not in ("session_key", "user_id")}
    assert written["user_id"] == {"S": lean.user.user_id}
    lean_user = _raw(HubUserModel, "user_id", lean.user.user_id)
    model_user = _raw(HubUserModel, "user_id", model.user.user_id)
    assert {k: lean_user.get(k) for k in TOUCHED} == {k: model_user.get(k) for k in TOUCHED}
    assert lean_user["totp_secret"] == {"S": secret} and "totp_pending" not in lean_user


def test_a_user_item_decodes_to_the_record_the_model_gives(ddb: Runtime):
    account = make_account(unique("Decode Co"), modules=["portal", "itdocs"])
    now = ddb.clock.now()
    store.update_user(account.user.user_id, email_verified=True, verified_email_key="a@b.example",
                      pending_email="new@b.example", invited_at=now, last_failure_at=now,
                      failures=2, push_devices="none", session_epoch=4)
    item = _raw(HubUserModel, "user_id", account.user.user_id)
    assert sign_in.user_of_item(item) == store.get_user(account.user.user_id)


# The failure states around every step of the throttle: (failures, seconds since the last one).
STATES = [(0, 0), (4, 0), (5, 0), (5, 59), (5, 60), (6, 119), (6, 120), (8, 899), (9, 899),
          (9, 900), (30, 901)]


@pytest.mark.parametrize(("failures", "age"), STATES)
def test_the_attempts_are_taken_and_refused_where_the_models_take_and_refuse_them(
        ddb: Runtime, failures: int, age: int):
    lean, model = _twins()
    last = ddb.clock.now() - dt.timedelta(seconds=age)
    for account in (lean, model):
        store.update_user(account.user.user_id, password_failures=failures,
                          last_password_failure_at=last, failures=failures, last_failure_at=last)
    gate = throttle.gate(ddb.clock.now())

    taken = sign_in.take_password_attempt(lean.user.user_id, gate)
    assert (taken is not None) == store.take_password_attempt(model.user.user_id, gate)
    lean_after = sign_in.take_login_code_attempt(lean.user.user_id, gate)
    assert (lean_after is not None) == store.take_code_attempt(model.user.user_id, gate)

    lean_user = _raw(HubUserModel, "user_id", lean.user.user_id)
    model_user = _raw(HubUserModel, "user_id", model.user.user_id)
    assert {k: lean_user.get(k) for k in COUNTERS} == {k: model_user.get(k) for k in COUNTERS}
    if lean_after is not None:
        assert lean_after == store.get_user(lean.user.user_id)  # the user as counted
    open_now = not throttle.is_locked(failures, last, ddb.clock.now())
    assert (taken is not None, lean_after is not None) == (open_now, open_now)


def test_unknown_and_inactive_users_take_no_attempt(ddb: Runtime):
    account = make_account(unique("Gone Co"))
    gate = throttle.gate(ddb.clock.now())
    assert sign_in.take_password_attempt(None, gate) is None
    assert sign_in.user_id_by_login(f"{uuid.uuid4().hex}/nobody") is None
    store.update_user(account.user.user_id, status="inactive")
    assert sign_in.take_login_code_attempt(account.user.user_id, gate) is None
    assert store.get_user(account.user.user_id).failures == 0


def test_a_session_key_collision_is_a_concurrent_change_and_writes_nothing(ddb: Runtime):
    account = make_account(unique("Collide Co"))
    session = _session(account.user.user_id, account.company.company_id, ddb.clock.now())
    assert start_after_code(session, 100)
    with pytest.raises(ConcurrentChange):
        start_after_code(session, 200)
    assert store.get_user(account.user.user_id).totp_last_step == 100
    assert not start_after_code(_session(account.user.user_id, account.company.company_id,
                                         ddb.clock.now()), 100)  # a replayed step: refused


def _at_code_step(client: WebClient, account: Account) -> None:
    client.get("/hub/login")
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name})
    client.get("/hub/login/password")
    assert client.post("/hub/login/password", {"password": PASSWORD}).status == 303
    client.get("/hub/login/verify")


def test_a_throttled_password_step_is_retried_then_unavailable_and_counts_nothing(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits]):
    endpoint, waits = faults
    account = make_account(unique("Busy Co"))
    fault = endpoint.add(WireFault("UpdateItem", "hub_users", error={
        "Code": "ProvisionedThroughputExceededException", "Message": "slow down"}))
    ddb_client.get("/hub/login")
    ddb_client.post("/hub/login", {"username": "alice", "company": account.company.name})
    ddb_client.get("/hub/login/password")

    assert_unavailable(ddb_client.post("/hub/login/password", {"password": PASSWORD}))

    assert fault.seen == ATTEMPTS
    assert_backed_off(waits, ATTEMPTS - 1)
    user = store.get_user(account.user.user_id)
    assert (user.password_failures, user.last_password_failure_at) == (0, None)


def test_a_throttled_code_step_is_unavailable_starts_no_session_and_works_once_served(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits],
        caplog: pytest.LogCaptureFixture):
    endpoint, _ = faults
    account = make_account(unique("Busy Code Co"))
    assert account.totp_secret
    _at_code_step(ddb_client, account)
    fault = endpoint.add(WireFault("TransactWriteItems", "hub_sessions", **cancelled(THROTTLED)))
    code = current_code(account.totp_secret)

    assert_unavailable(ddb_client.post("/hub/login/verify", {"code": code}))

    assert fault.seen == 1  # a cancelled transaction is not retried by the transport
    logged = [json.loads(record.getMessage()) for record in caplog.records
              if '"storage_unavailable"' in record.getMessage()]
    assert logged == [{"event": "storage_unavailable", "operation": "TransactWriteItems",
                       "reasons": "ThrottlingError,None"}]
    assert store.get_user(account.user.user_id).totp_last_step == 0  # the code is still unused
    assert ddb_client.get("/hub/").status == 303  # no session: back to the login
    fault.times = 0
    ddb_client.get("/hub/login/verify")
    reply = ddb_client.post("/hub/login/verify", {"code": code})
    assert reply.status == 303 and reply.location == "/hub/", reply
    assert ddb_client.get("/hub/").status == 200


def test_a_conflicting_code_step_is_written_again(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits]):
    endpoint, _ = faults
    account = make_account(unique("Conflict Co"))
    assert account.totp_secret
    _at_code_step(ddb_client, account)
    fault = endpoint.add(WireFault("TransactWriteItems", "hub_sessions", times=2,
                                   **cancelled(CONFLICT)))

    reply = ddb_client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})

    assert reply.status == 303 and fault.seen == 3, reply
    assert store.get_user(account.user.user_id).totp_last_step > 0


@pytest.mark.parametrize("kind", ["dropped", "500", "damaged"])
def test_the_code_step_answers_unavailable_when_dynamodb_keeps_failing(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits],
        caplog: pytest.LogCaptureFixture, kind: str):
    endpoint, waits = faults
    account = make_account(unique("Down Co"))
    assert account.totp_secret
    _at_code_step(ddb_client, account)
    fault = endpoint.add(WireFault("UpdateItem", "hub_users", unreachable=kind == "dropped",
                                   damaged=kind == "damaged", status=500,
                                   error={"Code": "InternalServerError", "Message": "oops"}))

    assert_unavailable(ddb_client.post("/hub/login/verify",
                                       {"code": current_code(account.totp_secret)}))

    assert fault.seen == ATTEMPTS
    assert_backed_off(waits, ATTEMPTS - 1)
    assert store.get_user(account.user.user_id).failures == 0
    assert '"storage_unavailable"' in caplog.text
    assert "testing" not in caplog.text  # no credential or session token logged


@pytest.mark.parametrize("kind", ["dropped", "500", "throttled"])
def test_a_fault_that_clears_before_the_last_attempt_logs_in(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits], kind: str):
    endpoint, waits = faults
    account = make_account(unique("Flaky Co"))
    assert account.totp_secret
    _at_code_step(ddb_client, account)
    fault = endpoint.add(WireFault(
        "UpdateItem", "hub_users", times=ATTEMPTS - 1, unreachable=kind == "dropped",
        status=500 if kind == "500" else 400,
        error={"Code": "ThrottlingException" if kind == "throttled" else "InternalServerError"}))

    reply = ddb_client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})

    assert reply.status == 303 and reply.location == "/hub/", reply
    assert fault.seen == ATTEMPTS
    assert_backed_off(waits, ATTEMPTS - 1)
    assert store.get_user(account.user.user_id).failures == 0  # counted, then restarted


def test_a_throttled_login_query_is_unavailable_and_takes_no_attempt(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits]):
    endpoint, waits = faults
    account = make_account(unique("Query Co"))
    fault = endpoint.add(WireFault("Query", "hub_users", error={"Code": "ThrottlingException",
                                                                "Message": "Rate exceeded"}))
    with pytest.raises(StorageUnavailable):
        sign_in.user_id_by_login(f"{account.company.name.lower()}/alice")
    assert_unavailable(log_in(ddb_client, account))
    assert fault.seen == 2 * ATTEMPTS
    assert_backed_off(waits, 2 * (ATTEMPTS - 1))
    assert store.get_user(account.user.user_id).password_failures == 0


def test_a_malformed_request_is_rejected_at_once_and_its_reason_logged(
        ddb: Runtime, faults: tuple[FaultyEndpoint, Waits], caplog: pytest.LogCaptureFixture):
    endpoint, waits = faults
    fault = endpoint.add(WireFault("Query", "hub_users", error={
        "Code": "ValidationException", "Message": "One or more parameter values were invalid"}))
    with pytest.raises(StorageRejected):
        sign_in.user_id_by_login("any/one")
    assert fault.seen == 1 and waits.seconds == []
    logged = [json.loads(r.getMessage()) for r in caplog.records if "storage_rejected" in
              r.getMessage()]
    assert logged == [{"event": "storage_rejected", "error": "Query",
                       "reason": "One or more parameter values were invalid"}]


def test_a_login_makes_its_four_calls_on_the_lean_transport_and_they_are_counted(
        ddb: Runtime, ddb_client: WebClient, faults: tuple[FaultyEndpoint, Waits]):
    endpoint, _ = faults
    account = make_account(unique("Counted Co"))
    assert account.totp_secret
    with tables.counting_calls() as counter:
        _at_code_step(ddb_client, account)
        reply = ddb_client.post("/hub/login/verify", {"code": current_code(account.totp_secret)})
    assert reply.status == 303 and reply.location == "/hub/", reply
    assert counter.calls == {"Query": 1, "UpdateItem": 2, "TransactWriteItems": 1}
    sent = [headers["X-Amz-Target"].rpartition(".")[2] for headers in endpoint.headers_seen]
    assert sent == ["Query", "UpdateItem", "UpdateItem", "TransactWriteItems"]
    assert all(h["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=testing/")
               for h in endpoint.headers_seen)
    assert ddb_client.get("/hub/").status == 200


def test_the_hot_calls_go_direct_to_the_endpoint_with_the_botocore_clients_limits(ddb: Runtime):
    lean = low_level.wire()
    assert lean is not None
    assert lean.endpoint == tables.connection().client.meta.endpoint_url
    assert lean.limits == Limits(connect_timeout=15, read_timeout=30, attempts=ATTEMPTS,
                                 pool_size=10)


def test_a_configured_proxy_sends_the_hot_calls_through_botocore(
        ddb: Runtime, ddblocal_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    connection = Connection(region="us-east-1", host=ddblocal_endpoint)
    assert low_level.goes_direct(connection)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    assert not low_level.goes_direct(connection)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert low_level.goes_direct(connection)


# -- helpers ---------------------------------------------------------------------------------------
ATTEMPTS = 4  # botocore's standard mode as PynamoDB configures it: the first and three retries


def assert_backed_off(waits: Waits, count: int) -> None:
    """`count` waits, each jittered below botocore's standard ceiling for its retry."""
    assert len(waits.seconds) == count, waits
    ceilings = [1.0, 2.0, 4.0] * (count // 3 + 1)
    assert all(0 <= wait <= ceiling for wait, ceiling in zip(waits.seconds, ceilings, strict=False))


def cancelled(*reasons: dict[str, str]) -> dict[str, Any]:
    return {"error": {"Code": "TransactionCanceledException",
                      "Message": "Transaction cancelled, please refer cancellation reasons"},
            "reasons": [*reasons, {"Code": "None"}]}


@pytest.fixture
def faults(ddb: Runtime, ddblocal_endpoint: str) -> Iterator[tuple[FaultyEndpoint, Waits]]:
    """The login's hot calls sent through a faulty endpoint in front of DynamoDB Local."""
    waits = Waits()
    with faulty_endpoint(ddblocal_endpoint) as endpoint, hot_calls_through(endpoint, waits):
        yield endpoint, waits
