"""Login attempts taken atomically: one conditional update counts an attempt only while the
account (or the source) is under its limit and outside its delay, and refuses it otherwise.

The caller takes the attempt BEFORE it evaluates the guess, so parallel requests cannot all be
evaluated (the count is the guard, not a number read earlier), and an attempt refused during a delay
writes nothing (a delay is never extended by the attempts it refuses).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated


@dataclass(frozen=True)
class AttemptGate:
    """When one more attempt may be taken at `now`.

    With fewer than `free` failures, at once; with `free + i` failures, once the last failure is at
    or before `cutoffs[i]`; the last cutoff holds for every count above it (the capped delay).
    """

    now: dt.datetime
    free: int
    cutoffs: tuple[dt.datetime, ...]


def is_open(failures: NumberAttribute, last_failure_at: UTCDateTimeAttribute,
            gate: AttemptGate) -> Condition:
    """The condition "under the limit, or past the delay its failure count sets"."""
    condition = failures.does_not_exist() | (failures < gate.free)
    capped = len(gate.cutoffs) - 1
    for i, cutoff in enumerate(gate.cutoffs):
        count = gate.free + i
        at_count = (failures >= count) if i == capped else (failures == count)
        condition = condition | (at_count & (last_failure_at <= cutoff))
    return condition


def take(failures: NumberAttribute, last_failure_at: UTCDateTimeAttribute,
         gate: AttemptGate) -> list[Action]:
    """Count the attempt as a failure now; a success resets the count afterwards."""
    return [failures.add(1), last_failure_at.set(gate.now)]


def taken(record: Model, actions: list[Action], condition: Condition) -> bool:
    """Apply the attempt's update to `record` if `condition` holds; False when it is refused."""
    try:
        with translated():
            record.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True
