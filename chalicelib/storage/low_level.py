"""DynamoDB calls for hot paths where PynamoDB's model layer, and botocore's request pipeline under
it, cost more CPU than the call itself (the hub login: `hub/sign_in.py`, the session it starts).

Requests are plain dicts in DynamoDB's own JSON, sent on the lean transport (`dynamodb_wire`) to
the endpoint, region and credentials of the connection every model uses; they go through that
connection's botocore client instead when something answers it in-process (a test's stand-in for
AWS), when a proxy is configured, or when no credentials are found. Binary values would stay
base64 text here (botocore decodes them): the calls made here carry none. The answers are mapped
as the model layer maps them (`base.translated`, `transactions.write_transaction`): a failed
condition is the caller's to name, throttling or no answer is StorageUnavailable, a malformed
request StorageRejected, a transaction conflicting with another in flight is written again after
a short pause.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import BotoCoreError, ClientError
from botocore.httpsession import get_cert_path

from chalicelib import logs
from chalicelib.errors import StorageRejected, StorageUnavailable
from chalicelib.storage import tables, transactions
from chalicelib.storage.dynamodb_wire import (
    CONTENT_TYPE,
    TARGET,
    Limits,
    Refused,
    Unreachable,
    Wire,
    retried,
)

Value = dict[str, Any]
Item = dict[str, Value]
CONDITION_FAILED = "ConditionalCheckFailedException"
# Codes meaning "DynamoDB cannot serve this now" (retried already, as botocore retries them).
UNAVAILABLE = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                         "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"})
_THROTTLED_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded",
                                "RequestLimitExceeded"})
_CONFLICTS = frozenset({"TransactionConflictException", "TransactionInProgressException"})


def text(value: str) -> Value:
    """A string attribute value."""
    return {"S": value}


def number(value: int) -> Value:
    """A whole number attribute value, written as PynamoDB's NumberAttribute writes it."""
    return {"N": str(int(value))}


# -- the transport ---------------------------------------------------------------------------------
_built: tuple[object, Wire | None] | None = None  # (the connection, its wire: None for botocore)


def wire() -> Wire | None:
    """The lean transport of the configured connection, built on its first call; None when the
    connection's botocore client is answered in-process and must be called itself."""
    global _built
    connection = tables.connection()
    if _built is None or _built[0] is not connection:
        if _built is not None and _built[1] is not None:
            _built[1].connections.close()
        _built = (connection, wire_of(connection) if goes_direct(connection) else None)
    return _built[1]


def goes_direct(connection: Any) -> bool:
    """Whether the wire can do what the botocore client would: credentials to sign with, no
    proxy to go through, nothing answering the client in-process."""
    client = connection.client
    host = urlsplit(client.meta.endpoint_url).hostname or ""
    proxied = bool(client.meta.config.proxies) or (
        bool(getproxies()) and not proxy_bypass(host))
    return (connection.session.get_credentials() is not None and not proxied
            and not _answered_in_process(client))


def use_wire(lean: Wire | None) -> None:
    """Send the hot calls of the configured connection through `lean` (None: the botocore client)
    until storage is configured again."""
    global _built
    _built = (tables.connection(), lean)


def wire_of(connection: Any) -> Wire:
    """A wire to the connection's endpoint with its client's region, credentials, timeouts,
    attempts and pool size."""
    client = connection.client
    config, endpoint = client.meta.config, client.meta.endpoint_url
    limits = Limits(connect_timeout=config.connect_timeout, read_timeout=config.read_timeout,
                    attempts=_attempts(config.retries or {}), pool_size=config.max_pool_connections)
    ca_certs = get_cert_path(True) if endpoint.startswith("https:") else None
    return Wire(endpoint, client.meta.region_name, connection.session.get_credentials(), limits,
                ca_certs=ca_certs)


def _attempts(retries: dict[str, Any]) -> int:
    """Attempts in all, the first included, as botocore reads its retry configuration."""
    if "total_max_attempts" in retries:
        return int(retries["total_max_attempts"])
    return int(retries.get("max_attempts", 2)) + 1


def _answered_in_process(client: Any) -> bool:
    """Whether a handler answers the client's requests before they are sent (a stand-in for AWS
    in tests): asked with a harmless request that is never sent."""
    probe = AWSPreparedRequest("POST", f"{client.meta.endpoint_url}/",
                               {"X-Amz-Target": f"{TARGET}DescribeLimits",
                                "Content-Type": CONTENT_TYPE}, b"{}", False)
    _, answer = client.meta.events.emit_until_response(
        "before-send.dynamodb.DescribeLimits", request=probe)
    return answer is not None


def post(operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB's answer to `operation` ("UpdateItem"...); Refused or Unreachable otherwise."""
    lean = wire()
    if lean is not None:
        try:
            return lean.post(operation, request)
        except BotoCoreError as exc:  # the credentials could not be refreshed
            raise Unreachable(type(exc).__name__) from exc
    try:
        answer: dict[str, Any] = getattr(tables.connection().client,
                                         xform_name(operation))(**request)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
        raise Refused(str(error.get("Code", "")), str(error.get("Message", "")), status,
                      dict(exc.response)) from exc
    except BotoCoreError as exc:
        raise Unreachable(type(exc).__name__) from exc
    return answer


# -- calls -----------------------------------------------------------------------------------------
def call(operation: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """One call (`operation`: DynamoDB's name, e.g. "UpdateItem"); None when its condition
    failed."""
    try:
        return post(operation, request)
    except Refused as exc:
        if exc.code == CONDITION_FAILED:
            return None
        raise _refused(exc, operation) from exc
    except Unreachable as exc:
        raise _unreachable(exc, operation) from exc


def _unreachable(exc: Unreachable, operation: str) -> StorageUnavailable:
    logs.event("storage_unavailable", operation=operation, error=f"unreachable: {exc}")
    return StorageUnavailable()


def _refused(exc: Refused, operation: str) -> Exception:
    """The domain error of a call DynamoDB refused; anything unexpected is a bug to see."""
    if exc.code == "ValidationException":
        reason = exc.message[:300]
        logs.event("storage_rejected", error=operation, reason=reason)
        return StorageRejected(reason)
    if exc.code in UNAVAILABLE or retried(exc):
        logs.event("storage_unavailable", operation=operation, error=exc.code)
        return StorageUnavailable()
    return exc


def transact(items: Sequence[dict[str, Any]]) -> frozenset[int]:
    """Write the items (TransactWriteItems), all or none. Returns the positions of the items whose
    condition failed, empty when written; conflicts are written again after the pauses of
    `transactions.CONFLICT_PAUSES`, then StorageUnavailable, as throttling is."""
    for wait in (*transactions.CONFLICT_PAUSES, None):
        reasons = _transact_once(items)
        if reasons is None:
            return frozenset()
        failed = frozenset(n for n, code in enumerate(reasons) if code == "ConditionalCheckFailed")
        if failed:
            return failed
        if "TransactionConflict" not in reasons or wait is None:
            raise _cancelled(reasons)
        transactions.pause(wait * (0.5 + random.random()))  # noqa: S311  (jitter, not a secret)
    raise AssertionError("unreachable")  # pragma: no cover


def _cancelled(reasons: list[str]) -> Exception:
    """The domain error of a transaction cancelled for no failed condition, logged."""
    unavailable = "TransactionConflict" in reasons or not _THROTTLED_REASONS.isdisjoint(reasons)
    logs.event("storage_unavailable" if unavailable else "storage_rejected",
               operation="TransactWriteItems", reasons=",".join(reasons))
    return StorageUnavailable() if unavailable else StorageRejected(",".join(reasons)[:300])


def _transact_once(items: Sequence[dict[str, Any]]) -> list[str] | None:
    """None when written; else the cancellation reason codes (a conflict: ["conflict"])."""
    try:
        post("TransactWriteItems", {"TransactItems": list(items)})
    except Refused as exc:
        if exc.code == "TransactionCanceledException":
            return [str(r.get("Code", "None")) for r in exc.answer.get("CancellationReasons", [])]
        if exc.code in _CONFLICTS:
            return ["TransactionConflict"]
        raise _refused(exc, "TransactWriteItems") from exc
    except Unreachable as exc:
        raise _unreachable(exc, "TransactWriteItems") from exc
    return None
