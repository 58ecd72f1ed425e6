"""Shared storage helpers: error translation, TTL values, plain records to and from models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.attributes import UTCDateTimeAttribute
from pynamodb.exceptions import PynamoDBConnectionError, PynamoDBException
from pynamodb.models import Model

from chalicelib import logs
from chalicelib.errors import StorageRejected, StorageUnavailable

Record = TypeVar("Record")
AnyModel = TypeVar("AnyModel", bound=Model)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """PynamoDB returns aware UTC already; this guards values built elsewhere."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def ttl_after(moment: dt.datetime, seconds: int) -> int:
    """Epoch seconds for a DynamoDB TTL attribute."""
    return int(moment.timestamp()) + seconds


def fixed_width_iso(moment: dt.datetime) -> str:
    """Fixed-width UTC text, so conditions can compare times stored as strings."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_of(make: Callable[..., Record], fields: Iterable[str], model: Model) -> Record:
    """A plain record built from the model attributes of the same names."""
    return make(**{name: getattr(model, name) for name in fields})


def filled(model: AnyModel, record: Any, fields: Iterable[str]) -> AnyModel:
    """The model with the record's values set on the attributes of the same names."""
    for name in fields:
        setattr(model, name, getattr(record, name))
    return model


def is_condition_failure(exc: BaseException) -> bool:
    """True when a single write failed its condition (transactions: `transactions.py`)."""
    if getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException":
        return True
    inner = exc.__cause__
    if isinstance(inner, ClientError):
        return inner.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
    return False


# Codes meaning "DynamoDB cannot serve this now"; None is a connection that never got an answer.
_UNAVAILABLE = {
    None,
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


def is_validation_failure(exc: BaseException) -> bool:
    """True when DynamoDB refused the request itself as malformed (ValidationException): a key
    over its size limit, an empty key. Moto accepts most of these; DynamoDB never does."""
    return getattr(exc, "cause_response_code", None) == "ValidationException"


def rejected(exc: PynamoDBException) -> StorageRejected:
    """The domain error for a refused request, logged: a value reached DynamoDB unchecked."""
    reason = (exc.cause_response_message or "")[:300]
    logs.event("storage_rejected", error=type(exc).__name__, reason=reason)
    return StorageRejected(reason)


@contextmanager
def translated() -> Iterator[None]:
    """Turn connection failures into StorageUnavailable and requests DynamoDB refused as malformed
    into StorageRejected (callers handle condition failures)."""
    try:
        yield
    except PynamoDBException as exc:
        if is_validation_failure(exc):
            raise rejected(exc) from exc
        if not isinstance(exc, PynamoDBConnectionError) or \
                getattr(exc, "cause_response_code", None) not in _UNAVAILABLE:
            raise  # conditions are the caller's to interpret; anything else is a bug to see
        raise StorageUnavailable() from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc


__all__ = [
    "UTCDateTimeAttribute",
    "PynamoDBException",
    "aware",
    "filled",
    "fixed_width_iso",
    "record_of",
    "ttl_after",
    "is_condition_failure",
    "is_validation_failure",
    "translated",
]
