"""DynamoDB calls on the low-level botocore client, for hot paths where PynamoDB's model layer
costs more CPU than the call itself (the hub login).

Requests are plain dicts in DynamoDB's own JSON; the answers are mapped as the model layer maps
them (`base.translated`, `transactions.write_transaction`): a failed condition is the caller's to
name, throttling or no answer is StorageUnavailable, a malformed request StorageRejected, a
transaction conflicting with another in flight is written again after a short pause.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import logs
from chalicelib.errors import StorageRejected, StorageUnavailable
from chalicelib.storage import tables, transactions

Value = dict[str, Any]
Item = dict[str, Value]
CONDITION_FAILED = "ConditionalCheckFailedException"
# Codes meaning "DynamoDB cannot serve this now" (botocore has retried them already).
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


def call(operation: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """One call (`operation`: the client's method name); None when its condition failed."""
    try:
        answer: dict[str, Any] = getattr(tables.connection().client, operation)(**request)
    except ClientError as exc:
        if _code(exc) == CONDITION_FAILED:
            return None
        raise _refused(exc, operation) from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc
    return answer


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _refused(exc: ClientError, operation: str) -> Exception:
    """The domain error of a call DynamoDB refused; anything unexpected is a bug to see."""
    code = _code(exc)
    if code == "ValidationException":
        reason = str(exc.response.get("Error", {}).get("Message", ""))[:300]
        logs.event("storage_rejected", error=operation, reason=reason)
        return StorageRejected(reason)
    if code in UNAVAILABLE:
        logs.event("storage_unavailable", operation=operation, error=code)
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
        tables.connection().client.transact_write_items(TransactItems=list(items))
    except ClientError as exc:
        if _code(exc) == "TransactionCanceledException":
            return [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons", [])]
        if _code(exc) in _CONFLICTS:
            return ["TransactionConflict"]
        raise _refused(exc, "TransactWriteItems") from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc
    return None
