"""Push sign-in challenges: send one (number matching, push limit), answer it, use the approval.

A challenge lives two minutes, belongs to one login attempt, can be answered once (a conditional
write), and a denial is final. The browser shows the number; the device is offered three numbers
and signs (challenge id, nonce, chosen number, decision) with its registered key.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.auth import throttle
from chalicelib.auth.hub.push import protocol
from chalicelib.clock import epoch_seconds
from chalicelib.errors import (
    ConcurrentChange,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import push_challenges as challenge_store
from chalicelib.storage.hub import push_devices as device_store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.push_challenges import PushChallenge
from chalicelib.storage.hub.push_devices import PushRegistration

LIFETIME = dt.timedelta(minutes=2)
# After the device approves, the browser must finish the login within this time.
COMPLETE_WITHIN = dt.timedelta(minutes=1)
RATE_WINDOW = dt.timedelta(minutes=10)
MAX_PUSHES = 3
CHOICES = 3
SEND_TRIES = 3


class PushLimited(TooManyRequests):
    """The user already had MAX_PUSHES pushes in the last ten minutes (push-bombing guard)."""

    public_message = (
        "Too many sign-in requests were sent to your device in the last 10 minutes."
    )


class ChallengeClosed(ConcurrentChange):
    """The challenge was already answered, withdrawn or has expired; it takes no more answers."""

    public_message = "That sign-in request was already answered."


@dataclass(frozen=True)
class PushState:
    """What the browser's waiting page shows: pending, approved, denied, expired or limited."""

    state: str
    number: int | None = None
    seconds_left: int = 0
    message: str = ""

    def as_json(self) -> dict[str, object]:
        return {"state": self.state, "seconds_left": self.seconds_left, "message": self.message}


MESSAGES = {
    "pending": "Approve the sign-in on your device.",
    "approved": "Approved. Signing you in…",
    "denied": "The sign-in was denied on your device.",
    "wrong_number": "The number chosen on your device did not match, so the sign-in was refused.",
    "expired": "The sign-in request expired before it was approved.",
    "late": "The approval expired before the sign-in finished.",
    "used": "That approval was already used.",
    "limited": PushLimited.public_message + " Use a 2FA token instead, or try again later.",
}


# -- sending ---------------------------------------------------------------------------------------
def _numbers(rt: Runtime) -> tuple[int, list[int]]:
    """The number the browser shows and the choices the device offers (it included)."""
    choices: list[int] = []
    while len(choices) < CHOICES:
        candidate = 10 + rt.random.below(90)
        if candidate not in choices:
            choices.append(candidate)
    return choices[rt.random.below(CHOICES)], choices


def send(
    rt: Runtime, user_id: str, attempt_id: str, user_agent: str,
    registration: PushRegistration | None = None,
) -> PushChallenge | None:
    """Send a challenge to the user's devices; None when they have none. Raises PushLimited.

    DynamoDB calls: the registration read (skipped when passed in) and one transaction; a lost
    race for the last free push re-reads and tries again.
    """
    if registration is None:
        registration = device_store.get_registration(user_id)
    for _ in range(SEND_TRIES):
        if registration is None or not registration.devices:
            return None
        now = rt.clock.now()
        window_start = epoch_seconds(now - RATE_WINDOW)
        recent = [t for t in registration.push_times or [] if t > window_start]
        if len(recent) >= MAX_PUSHES:
            raise PushLimited(retry_after=max(1, min(recent) - window_start))
        number, choices = _numbers(rt)
        challenge = PushChallenge(
            challenge_id=rt.random.hex(16),
            user_id=user_id,
            attempt_id=attempt_id,
            nonce=rt.random.token(18),
            number=number,
            choices=choices,
            status="pending",
            company_name=registration.company_name,
            username=registration.username,
            user_agent=user_agent[:200],
            created_at=now,
            expires_at=now + LIFETIME,
        )
        try:
            challenge_store.create_challenge(challenge, registration.push_times,
                                             recent + [epoch_seconds(now)])
        except ConcurrentChange:
            registration = device_store.get_registration(user_id)
            continue
        logs.event("push_sent", user_id=user_id, challenge_id=challenge.challenge_id,
                   devices=len(registration.devices))
        return challenge
    raise PushLimited(retry_after=60)


# -- the browser's side ----------------------------------------------------------------------------
def state_of(rt: Runtime, challenge_id: str, attempt_id: str, user_id: str) -> PushState:
    """Where this attempt's push stands (one read). Another attempt's challenge is not found."""
    if not challenge_id:
        return PushState("limited", message=MESSAGES["limited"])
    challenge = challenge_store.get_challenge(challenge_id)
    if (challenge is None or challenge.user_id != user_id
            or not hmac.compare_digest(challenge.attempt_id, attempt_id)):
        raise NotAuthenticated("Please start your sign-in again.")
    now = rt.clock.now()
    if challenge.status == "approved":
        if challenge.answered_at and challenge.answered_at >= now - COMPLETE_WITHIN:
            return PushState("approved", challenge.number, message=MESSAGES["approved"])
        return PushState("expired", challenge.number, message=MESSAGES["late"])
    if challenge.status == "consumed":
        return PushState("expired", challenge.number, message=MESSAGES["used"])
    if challenge.status == "denied":
        key = "wrong_number" if challenge.reason == "wrong_number" else "denied"
        return PushState("denied", challenge.number, message=MESSAGES[key])
    if challenge.status == "pending" and now < challenge.expires_at:
        left = int((challenge.expires_at - now).total_seconds())
        return PushState("pending", challenge.number, left, MESSAGES["pending"])
    return PushState("expired", challenge.number, message=MESSAGES["expired"])


def use_approval(rt: Runtime, challenge_id: str, attempt_id: str, user_id: str) -> bool:
    """Turn an approval into this attempt's login, once (one transaction; resets failures)."""
    if not challenge_id:
        return False
    now = rt.clock.now()
    return challenge_store.consume_approval(challenge_id, attempt_id, user_id, now,
                                            now - COMPLETE_WITHIN)


def withdraw(challenge_id: str) -> bool:
    """Withdraw a still-pending challenge (the person chose a 2FA token, or asked again)."""
    return bool(challenge_id) and challenge_store.cancel_challenge(challenge_id)


def withdraw_in_flight(rt: Runtime, user_id: str) -> int:
    """Withdraw the user's pending and not yet used approved challenges (device removed, reset)."""
    since = rt.clock.now() - LIFETIME - COMPLETE_WITHIN
    withdrawn = 0
    for challenge in challenge_store.recent_challenges(user_id, since):
        if challenge.status in ("pending", "approved"):
            withdrawn += challenge_store.cancel_challenge(challenge.challenge_id,
                                                          ("pending", "approved"))
    return withdrawn


# -- the device's side -----------------------------------------------------------------------------
def pending_for_device(rt: Runtime, user_id: str) -> list[dict[str, object]]:
    """The user's open challenges as a device sees them: choices and context, never the answer."""
    now = rt.clock.now()
    return [
        {
            "challenge_id": c.challenge_id,
            "nonce": c.nonce,
            "choices": c.choices,
            "company": c.company_name,
            "username": c.username,
            "browser": c.user_agent,
            "requested_at": c.created_at.isoformat(),
            "expires_at": c.expires_at.isoformat(),
        }
        for c in challenge_store.pending_challenges(user_id, now - LIFETIME, now)
    ]


def answer(
    rt: Runtime, *, user_id: str, device_id: str, challenge_id: str, nonce: str, number: int,
    decision: str, signature: str,
) -> str:
    """Verify a device's signed answer and record it once: 'approved', 'denied' or 'wrong_number'.

    An approval with the wrong number refuses the sign-in (final, like a denial); both count as a
    failed login. DynamoDB calls: registration read, challenge read, one transaction.
    """
    if decision not in protocol.DECISIONS:
        raise InvalidInput("The decision must be approve or deny.", field="decision")
    registration = device_store.get_registration(user_id)
    device = registration.devices.get(device_id) if registration else None
    if device is None:
        raise NotAuthenticated("This device is not registered.")
    message = protocol.answer_message(challenge_id, nonce, number, decision)
    if not protocol.verify(device.algorithm, device.public_key, signature, message):
        raise NotAuthenticated("The answer's signature is not valid.")
    challenge = challenge_store.get_challenge(challenge_id)
    if challenge is None or challenge.user_id != user_id:
        raise NotFound("No such sign-in request.")
    if not hmac.compare_digest(challenge.nonce, nonce):
        raise InvalidInput("The answer does not belong to this sign-in request.")
    now = rt.clock.now()
    if challenge.status != "pending":
        raise ChallengeClosed()
    if now >= challenge.expires_at:
        raise ChallengeClosed("That sign-in request has expired.")
    if decision == protocol.APPROVE and number == challenge.number:
        status, reason = "approved", None
    else:
        status = "denied"
        reason = "denied" if decision == protocol.DENY else "wrong_number"
    try:
        challenge_store.answer_challenge(challenge, status, reason, device_id, now)
    except ConcurrentChange as exc:
        raise ChallengeClosed() from exc
    if status == "denied":  # a failed second factor; during a delay nothing is counted
        user_store.take_code_attempt(user_id, throttle.gate(now))
    logs.event("push_answered", user_id=user_id, device_id=device_id,
               challenge_id=challenge_id, outcome=reason or status)
    return reason or status
