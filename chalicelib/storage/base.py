"""Shared storage helpers: datetime attributes, error translation, TTL values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.exceptions import PynamoDBConnectionError, PynamoDBException

from chalicelib.errors import StorageUnavailable


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """PynamoDB returns aware UTC already; this guards values built elsewhere."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def ttl_after(moment: dt.datetime, seconds: int) -> int:
    """Epoch seconds for a DynamoDB TTL attribute."""
    return int(moment.timestamp()) + seconds


def is_condition_failure(exc: BaseException) -> bool:
    """True when a PynamoDB error was caused by a failed condition or cancelled transaction."""
    cause = getattr(exc, "cause_response_code", None)
    if cause in {"ConditionalCheckFailedException", "TransactionCanceledException"}:
        return True
    inner = exc.__cause__
    if isinstance(inner, ClientError):
        return inner.response.get("Error", {}).get("Code") in {
            "ConditionalCheckFailedException",
            "TransactionCanceledException",
        }
    return False


def transaction_outcome(exc: BaseException) -> str:
    """Why a transaction was cancelled: "condition" (an item's condition failed), "conflict" (a
    concurrent transaction touched the same items), "unavailable" (throttled) or "other" (a bug)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(reason, "code", None) for reason in reasons if reason}
    if "ConditionalCheckFailed" in codes:
        return "condition"
    if "TransactionConflict" in codes or getattr(exc, "cause_response_code", None) == (
        "TransactionConflictException"
    ):
        return "conflict"
    if codes & {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}:
        return "unavailable"
    return "other"


# Codes meaning "DynamoDB cannot serve this now"; None is a connection that never got an answer.
_UNAVAILABLE = {
    None,
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


@contextmanager
def translated() -> Iterator[None]:
    """Turn connection failures into StorageUnavailable (callers handle condition failures)."""
    try:
        yield
    except PynamoDBConnectionError as exc:
        if getattr(exc, "cause_response_code", None) not in _UNAVAILABLE:
            raise  # conditions are the caller's to interpret; anything else is a bug to see
        raise StorageUnavailable() from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc


__all__ = [
    "UTCDateTimeAttribute",
    "PynamoDBException",
    "aware",
    "ttl_after",
    "is_condition_failure",
    "transaction_outcome",
    "translated",
]
