"""A cancelled transaction says why: a taken name is AlreadyExists, a conflict is retryable."""

from __future__ import annotations

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib.storage.transactions import transaction_outcome


def _cancelled(*codes: str | None) -> TransactWriteError:
    cause = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
        "TransactWriteItems",
        cancellation_reasons=[CancellationReason(code=c) if c else None for c in codes],
    )
    return TransactWriteError("cancelled", cause=cause)


@pytest.mark.parametrize(
    ("codes", "outcome"),
    [
        (("ConditionalCheckFailed", None), "condition"),
        ((None, "ConditionalCheckFailed"), "condition"),
        (("TransactionConflict", None), "conflict"),
        (("ThrottlingError", None), "unavailable"),
        (("ValidationError", None), "other"),
    ],
)
def test_cancellation_reasons_are_told_apart(codes: tuple[str | None, ...], outcome: str) -> None:
    assert transaction_outcome(_cancelled(*codes)) == outcome
