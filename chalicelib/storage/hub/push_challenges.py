"""Hub push MFA challenges: the sign-in requests sent to a user's devices and their answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.base import fixed_width_iso, is_condition_failure, translated, ttl_after
from chalicelib.storage.hub.push_devices import HubPushRegistrationModel
from chalicelib.storage.hub.users import HubUserModel
from chalicelib.storage.transactions import Transaction, write_transaction

# How long an answered or expired challenge is kept (for the device's and the browser's view).
CHALLENGE_RETENTION = 24 * 3600


class ChallengeByUser(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class HubPushChallengeModel(Model):
    class Meta:
        logical_name = "hub_push_challenges"
        table_name = "hub_push_challenges"
        ttl_attribute = "expires_ttl"

    challenge_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    attempt_id = UnicodeAttribute()
    nonce = UnicodeAttribute()
    number = NumberAttribute()
    choices = ListAttribute(of=NumberAttribute)  # type: ignore[var-annotated]
    # pending -> approved -> consumed; pending -> denied | cancelled (expiry is derived from time)
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    company_name = UnicodeAttribute()
    username = UnicodeAttribute()
    user_agent = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    answered_at = UTCDateTimeAttribute(null=True)
    answered_by = UnicodeAttribute(null=True)
    expires_ttl = NumberAttribute()
    by_user = ChallengeByUser()


@dataclass
class PushChallenge:
    challenge_id: str
    user_id: str
    attempt_id: str
    nonce: str
    number: int
    choices: list[int]
    status: str
    company_name: str
    username: str
    user_agent: str
    created_at: dt.datetime
    expires_at: dt.datetime
    reason: str | None = None
    answered_at: dt.datetime | None = None
    answered_by: str | None = None


def _challenge(m: HubPushChallengeModel) -> PushChallenge:
    return PushChallenge(
        challenge_id=m.challenge_id,
        user_id=m.user_id,
        attempt_id=m.attempt_id,
        nonce=m.nonce,
        number=int(m.number),
        choices=[int(c) for c in cast(list[float], m.choices)],
        status=m.status,
        company_name=m.company_name,
        username=m.username,
        user_agent=m.user_agent or "",
        created_at=m.created_at,
        expires_at=m.expires_at,
        reason=m.reason,
        answered_at=m.answered_at,
        answered_by=m.answered_by,
    )


def _challenge_model(challenge: PushChallenge) -> HubPushChallengeModel:
    return HubPushChallengeModel(
        challenge.challenge_id,
        user_id=challenge.user_id,
        attempt_id=challenge.attempt_id,
        nonce=challenge.nonce,
        number=challenge.number,
        choices=challenge.choices,
        status=challenge.status,
        company_name=challenge.company_name,
        username=challenge.username,
        user_agent=challenge.user_agent,
        created_at=challenge.created_at,
        expires_at=challenge.expires_at,
        expires_ttl=ttl_after(challenge.expires_at, CHALLENGE_RETENTION),
    )


def create_challenge(
    challenge: PushChallenge, seen_push_times: list[int] | None, push_times: list[int]
) -> None:
    """Send a challenge and count it against the user's push limit, in one transaction.

    The registration's push_times must still be exactly what the caller read (`seen_push_times`),
    so two sign-ins racing for the last free push cannot both get it: one raises ConcurrentChange.
    """
    registration = HubPushRegistrationModel
    unchanged = (
        registration.push_times.does_not_exist()
        if seen_push_times is None
        else registration.push_times == seen_push_times
    )

    def write(tx: Transaction) -> None:
        tx.update(
            registration(challenge.user_id),
            actions=[registration.push_times.set(cast(Any, push_times))],
            condition=registration.user_id.exists() & unchanged,
        )
        tx.save(_challenge_model(challenge),
                condition=HubPushChallengeModel.challenge_id.does_not_exist())

    if write_transaction(write):
        raise ConcurrentChange("Another sign-in sent a push at the same time.")


def get_challenge(challenge_id: str) -> PushChallenge | None:
    try:
        with translated():
            return _challenge(HubPushChallengeModel.get(challenge_id))
    except HubPushChallengeModel.DoesNotExist:
        return None


def answer_challenge(
    challenge: PushChallenge, status: str, reason: str | None, device_id: str, now: dt.datetime
) -> None:
    """Record the device's answer once: only a pending, unexpired challenge can be answered.

    An approval marks the device as used, in the same transaction; the caller counts a denial as
    a failed second factor. A second answer (a replay, or a race) raises ConcurrentChange.
    """
    model = HubPushChallengeModel
    registration = HubPushRegistrationModel

    def write(tx: Transaction) -> None:
        tx.update(
            model(challenge.challenge_id),
            actions=[model.status.set(status),
                     model.reason.set(reason) if reason else model.reason.remove(),
                     model.answered_at.set(now), model.answered_by.set(device_id)],
            condition=(model.status == "pending") & (model.expires_at > now)
            & (model.user_id == challenge.user_id) & (model.nonce == challenge.nonce),
        )
        if status == "approved":
            tx.update(
                registration(challenge.user_id),
                actions=[registration.devices[device_id]["last_used_at"].set(  # type: ignore[index]
                    fixed_width_iso(now))],
                condition=registration.devices[device_id].exists(),  # type: ignore[index]
            )

    if write_transaction(write):
        raise ConcurrentChange("That sign-in request was already answered.")


def consume_approval(
    challenge_id: str, attempt_id: str, user_id: str, now: dt.datetime, approved_since: dt.datetime
) -> bool:
    """Use an approval to finish its own login attempt, once; resets the user's failures (both
    counts: the password's restarts when the login completes).

    Conditions: approved (not yet consumed), bound to this attempt and user, approved recently.
    Returns False when any of them fails.
    """
    model = HubPushChallengeModel

    def write(tx: Transaction) -> None:
        tx.update(
            model(challenge_id),
            actions=[model.status.set("consumed")],
            condition=(model.status == "approved") & (model.attempt_id == attempt_id)
            & (model.user_id == user_id) & (model.answered_at >= approved_since),
        )
        tx.update(
            HubUserModel(user_id),
            actions=[HubUserModel.failures.set(0), HubUserModel.password_failures.set(0),
                     HubUserModel.last_login_at.set(now)],
            condition=HubUserModel.user_id.exists(),
        )

    return not write_transaction(write)


def cancel_challenge(challenge_id: str, from_statuses: tuple[str, ...] = ("pending",)) -> bool:
    """Withdraw a challenge that is still in one of `from_statuses`; False when it was not."""
    model = HubPushChallengeModel
    try:
        with translated():
            model(challenge_id).update(
                actions=[model.status.set("cancelled")],
                condition=model.status.is_in(*from_statuses),
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def recent_challenges(user_id: str, since: dt.datetime) -> list[PushChallenge]:
    """The user's challenges created at or after `since`, oldest first (index query)."""
    with translated():
        return [
            _challenge(m)
            for m in HubPushChallengeModel.by_user.query(
                user_id, HubPushChallengeModel.created_at >= since
            )
        ]


def pending_challenges(user_id: str, since: dt.datetime, now: dt.datetime) -> list[PushChallenge]:
    """The user's unanswered, unexpired challenges (one index query, filtered by DynamoDB)."""
    model = HubPushChallengeModel
    with translated():
        return [
            _challenge(m)
            for m in model.by_user.query(
                user_id,
                model.created_at >= since,
                filter_condition=(model.status == "pending") & (model.expires_at > now),
            )
        ]
