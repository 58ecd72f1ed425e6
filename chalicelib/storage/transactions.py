"""Every transaction written one way, so DynamoDB's cancellation reasons decide what callers see.

A failed condition is the caller's to name (a taken name, a lost race), by the items that failed;
throttling, or no answer at all, is StorageUnavailable (pages answer 503 with Retry-After); a
conflict with another transaction in flight is written again after a short pause, and is
StorageUnavailable when it keeps conflicting; a request DynamoDB refused as malformed is
StorageRejected. Nothing else reads a TransactWriteError.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib import logs
from chalicelib.errors import StorageUnavailable
from chalicelib.storage import tables
from chalicelib.storage.base import is_validation_failure, rejected

# Seconds to wait before writing a conflicting transaction again (each scaled by 0.5-1.5 at random,
# so racing writers fall out of step); after the last, the write is given up as unavailable.
CONFLICT_PAUSES = (0.02, 0.05, 0.1, 0.2, 0.4)
pause: Callable[[float], None] = time.sleep

# Cancellation reason codes, and codes of a whole request refused, that mean "cannot serve now".
_THROTTLED = {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
_UNAVAILABLE = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}
_CONFLICTS = {"TransactionConflictException", "TransactionInProgressException"}


class Transaction(TransactWrite):
    """A TransactWrite that remembers the order its items were added in.

    PynamoDB sends condition checks, then deletes, puts and updates; this maps the cancellation
    reasons (in that sent order) back to the order the caller added the items.
    """

    def __init__(self) -> None:
        super().__init__(connection=tables.connection())
        self.added: list[tuple[str, int]] = []

    def condition_check(self, *args: Any, **kwargs: Any) -> None:
        self.added.append(("check", len(self._condition_check_items)))
        super().condition_check(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> None:
        self.added.append(("delete", len(self._delete_items)))
        super().delete(*args, **kwargs)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.added.append(("put", len(self._put_items)))
        super().save(*args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.added.append(("update", len(self._update_items)))
        super().update(*args, **kwargs)

    def sent_position(self, kind: str, index: int) -> int:
        """Where an item added as the `index`th of its kind stood in the request sent."""
        before = {"check": 0, "delete": len(self._condition_check_items)}
        before["put"] = before["delete"] + len(self._delete_items)
        before["update"] = before["put"] + len(self._put_items)
        return before[kind] + index

    def failed(self, exc: TransactWriteError) -> frozenset[int]:
        """The items (in the order added) whose condition failed."""
        sent = {n for n, reason in enumerate(_reasons(exc))
                if reason is not None and reason.code == "ConditionalCheckFailed"}
        return frozenset(n for n, item in enumerate(self.added)
                         if self.sent_position(*item) in sent)


Build = Callable[[Transaction], None]


def _reasons(exc: BaseException) -> list[Any]:
    return list(getattr(exc, "cancellation_reasons", None) or [])


def transaction_outcome(exc: BaseException) -> str:
    """Why a transaction failed: "condition" (an item's condition failed), "unavailable"
    (throttled, or DynamoDB did not answer), "conflict" (another transaction had an item in
    flight), "rejected" (malformed) or "other" (a bug to see)."""
    codes = {getattr(reason, "code", None) for reason in _reasons(exc) if reason}
    cause = getattr(exc, "cause_response_code", None)
    if "ConditionalCheckFailed" in codes:
        return "condition"
    if codes & _THROTTLED or cause in _UNAVAILABLE or _unanswered(exc):
        return "unavailable"
    if "TransactionConflict" in codes or cause in _CONFLICTS:
        return "conflict"
    return "rejected" if is_validation_failure(exc) else "other"


def _unanswered(exc: BaseException) -> bool:
    """True when the request never got an answer (connection refused, timed out)."""
    return isinstance(getattr(exc, "cause", None), BotoCoreError)


def write_transaction(build: Build) -> frozenset[int]:
    """Write the items `build` adds, all or none. Returns the positions (in the order added) of
    the items whose condition failed, empty when written; raises StorageUnavailable when
    throttled or still conflicting after the last pause, StorageRejected when malformed."""
    for wait in (*CONFLICT_PAUSES, None):
        tx = Transaction()
        try:
            with tx:
                build(tx)
            return frozenset()
        except TransactWriteError as exc:
            outcome = transaction_outcome(exc)
            if outcome == "condition":
                return tx.failed(exc)
            if outcome == "other":
                raise
            if outcome != "conflict" or wait is None:
                raise _refused(exc, outcome) from exc
            pause(wait * (0.5 + random.random()))  # noqa: S311  (jitter, not a secret)
    raise AssertionError("unreachable")  # pragma: no cover


def _refused(exc: TransactWriteError, outcome: str) -> Exception:
    """The domain error for a transaction that was not written, logged when DynamoDB pushed back."""
    if outcome == "rejected":
        return rejected(exc)
    logs.event("storage_unavailable", operation="TransactWriteItems", outcome=outcome,
               code=exc.cause_response_code or type(exc.cause).__name__)
    return StorageUnavailable()
