"""The hub's three-step login: (company, username) → password → push approval or 2FA token
(or TOTP enrollment).

The attempt's state travels in a signed, expiring cookie, so step one touches no table and says
nothing about whether the account exists. Failures and locks are per user and survive new attempts:
each guess (password or code) is taken, atomically and only while no delay runs, before it is
evaluated, so parallel guesses never exceed the limit (chalicelib.auth.throttle).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chalicelib.auth import names, passwords, throttle
from chalicelib.auth.hub import security_alerts, sessions, totp
from chalicelib.auth.hub.push import challenges
from chalicelib.errors import InvalidInput, LoginFailed, NotAuthenticated, TooManyRequests
from chalicelib.runtime import Runtime
from chalicelib.signing import BadSignature
from chalicelib.storage.hub import sign_in
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.sessions import HubSession
from chalicelib.storage.hub.users import HubUser

ATTEMPT_PURPOSE = "hub-login"
ATTEMPT_MAX_AGE = 10 * 60
CODE_ERROR = "That code is not valid. Check your authenticator and try again."


@dataclass
class Attempt:
    """Where a login attempt stands: step is 'password', 'push', 'totp' or 'enroll'.

    At the push step, `challenge_id` names the challenge sent for this attempt ("" when the push
    limit stopped one from being sent).
    """

    step: str
    company: str
    username: str
    user_id: str = ""
    next: str = "/hub/"
    attempt_id: str = ""
    challenge_id: str = ""

    def as_payload(self) -> dict[str, str]:
        return {"s": self.step, "c": self.company, "u": self.username, "i": self.user_id,
                "n": self.next, "a": self.attempt_id, "p": self.challenge_id}


def seal(rt: Runtime, attempt: Attempt) -> str:
    return rt.signer.sign(ATTEMPT_PURPOSE, attempt.as_payload(), ATTEMPT_MAX_AGE)


def unseal(rt: Runtime, token: str | None, step: str) -> Attempt:
    try:
        data = rt.signer.unsign(ATTEMPT_PURPOSE, token)
    except BadSignature as exc:
        raise NotAuthenticated("Your sign-in expired. Please start again.") from exc
    attempt = Attempt(step=data["s"], company=data["c"], username=data["u"], user_id=data["i"],
                      next=data["n"], attempt_id=data["a"], challenge_id=data.get("p", ""))
    if attempt.step != step:
        raise NotAuthenticated("Please start your sign-in again.")
    return attempt


def begin(rt: Runtime, company: str, username: str, next_path: str) -> Attempt:
    """Step 1: remember who is signing in. No lookup happens here (no enumeration)."""
    company, username = company.strip(), username.strip()
    if not company or not username:
        raise InvalidInput("Enter your username and company name.")
    if len(company) > 120 or len(username) > 64:
        raise InvalidInput("That username or company name is too long.")
    return Attempt("password", company, username, next=next_path, attempt_id=rt.random.hex(12))


def check_password(rt: Runtime, attempt: Attempt, password: str, user_agent: str = "") -> Attempt:
    """Step 2: one generic error for unknown company/user, wrong password, locked or inactive.

    The same work whatever the account's existence: the index query (the user's id), the
    conditional update that takes the attempt and returns the user (it fails on its condition for
    an unknown user or a running delay) and one password hash (a dummy one unless the attempt was
    taken). A right password then needs no third call when the attempt it took is the only one
    counted: that count stays until the second factor's transaction restarts both counts, so an
    abandoned second factor costs at most one free failure (`_passed`). For a user who may have a
    push device, the push registration read and (with a device) one transaction sending the push.
    """
    user_id = sign_in.user_id_by_login(names.login_key(attempt.company, attempt.username))
    evaluated = sign_in.take_password_attempt(user_id, throttle.gate(rt.clock.now()))
    password_ok = passwords.verify(evaluated.password_hash if evaluated else None, password[:256])
    if evaluated is None or not password_ok or evaluated.status != "active":
        raise LoginFailed()
    if evaluated.totp_secret:
        _passed(evaluated, None)
        code_step = Attempt("totp", attempt.company, attempt.username, evaluated.user_id,
                            attempt.next, attempt.attempt_id)
        if evaluated.push_devices == "none":
            return code_step
        return _push_step(rt, code_step, user_agent)
    _passed(evaluated, rt.box.encrypt(totp.new_secret().encode(), f"totp:{evaluated.user_id}"))
    return Attempt("enroll", attempt.company, attempt.username, evaluated.user_id, attempt.next,
                   attempt.attempt_id)


def _passed(user: HubUser, pending_totp: str | None) -> None:
    """The password was right: earlier failures are forgiven (one update) unless this attempt is
    the only one counted, which the second factor's success restarts. A pending enrollment secret
    is always stored."""
    if pending_totp is None and user.password_failures <= 1:
        return
    if not sign_in.password_passed(user.user_id, pending_totp):
        raise LoginFailed()


def _push_step(rt: Runtime, code_step: Attempt, user_agent: str) -> Attempt:
    """Push is the default second factor once a device is enrolled; else the 2FA token step."""
    try:
        challenge = challenges.send(rt, code_step.user_id, code_step.attempt_id, user_agent)
    except challenges.PushLimited:
        return replace(code_step, step="push", challenge_id="")
    if challenge is None:
        return code_step
    return replace(code_step, step="push", challenge_id=challenge.challenge_id)


def push_state(rt: Runtime, attempt: Attempt) -> challenges.PushState:
    """Where this attempt's push stands (one read)."""
    return challenges.state_of(rt, attempt.challenge_id, attempt.attempt_id, attempt.user_id)


def send_push_again(rt: Runtime, attempt: Attempt, user_agent: str) -> Attempt:
    """A new push for this attempt, after the last one expired (or was never sent: push limit).

    A denied or approved challenge cannot be replaced: a denial is final. DynamoDB calls: the
    old challenge's conditional withdrawal, the registration read, one transaction.
    """
    if attempt.challenge_id and not challenges.withdraw(attempt.challenge_id):
        state = push_state(rt, attempt)
        if state.state != "expired":
            raise InvalidInput(state.message)
    return _push_step(rt, replace(attempt, step="totp", challenge_id=""), user_agent)


def use_code_instead(attempt: Attempt) -> Attempt:
    """'Use a 2FA token instead': the push is withdrawn and the attempt moves to the code step."""
    challenges.withdraw(attempt.challenge_id)
    return replace(attempt, step="totp", challenge_id="")


def complete_push(
    rt: Runtime, attempt: Attempt, previous_token: str | None
) -> tuple[str, HubSession, HubUser]:
    """The device approved: re-check on the server that the approval is for this attempt, then
    start a new session. DynamoDB calls: user read, one transaction, session write.
    """
    user = _active_user(rt, attempt)
    if not user.totp_secret or not challenges.use_approval(
        rt, attempt.challenge_id, attempt.attempt_id, user.user_id
    ):
        raise InvalidInput("This sign-in has not been approved on your device.")
    token, session = sessions.start(rt, user, previous_token)
    return token, session, user


def _active_user(rt: Runtime, attempt: Attempt) -> HubUser:
    user = store.get_user(attempt.user_id)
    if user.status != "active":
        raise LoginFailed()
    if throttle.is_locked(user.failures, user.last_failure_at, rt.clock.now()):
        raise _too_many(rt, user)
    return user


def _too_many(rt: Runtime, user: HubUser) -> TooManyRequests:
    """The wait as the user read shows it (a minute when parallel attempts just closed it)."""
    wait = throttle.seconds_left(user.failures, user.last_failure_at, rt.clock.now())
    wait = wait or throttle.FIRST_DELAY
    return TooManyRequests(
        f"Too many failed attempts. Try again in {max(1, wait // 60)} minute(s).",
        retry_after=wait,
    )


def _code_attempt(rt: Runtime, attempt: Attempt) -> HubUser:
    """Take a second-factor attempt of the attempt's user (refused during a delay, whatever the
    code) and return the user as the update left them: one UpdateItem, no read before it. A
    refusal reads the user once, to tell a delay (and its wait) from an inactive account."""
    user = sign_in.take_login_code_attempt(attempt.user_id, throttle.gate(rt.clock.now()))
    if user is not None:
        return user
    refused = store.get_user(attempt.user_id)
    if refused.status != "active":
        raise LoginFailed()
    raise _too_many(rt, refused)


def _complete_with_code(rt: Runtime, user: HubUser, secret: str, code: str,
                        enroll: str | None, previous_token: str | None
                        ) -> tuple[str, HubSession, HubUser]:
    """Check the code of an attempt already taken; a fresh step is accepted and the session
    started in one transaction (which also restarts both failure counts)."""
    step = totp.matching_step(secret, code, rt.clock.now())
    if step is None or step <= user.totp_last_step:
        raise InvalidInput(CODE_ERROR if step is None else
                           "That code was already used. Wait for the next code.", field="code")
    started = sessions.start_with_code(rt, user, step, enroll, previous_token)
    if started is None:
        raise InvalidInput("That code was already used. Wait for the next code.", field="code")
    return started[0], started[1], user


def verify_code(
    rt: Runtime, attempt: Attempt, code: str, previous_token: str | None
) -> tuple[str, HubSession, HubUser]:
    """Step 3: a fresh TOTP step completes the login and starts a new session.

    DynamoDB calls: the attempt taken (it returns the user), then one transaction (the step
    accepted, the session started, a previous one ended)."""
    user = _code_attempt(rt, attempt)
    if not user.totp_secret:
        raise NotAuthenticated("Please start your sign-in again.")
    secret = rt.box.decrypt(user.totp_secret, f"totp:{user.user_id}").decode()
    return _complete_with_code(rt, user, secret, code, None, previous_token)


def enrollment(rt: Runtime, attempt: Attempt) -> tuple[str, str]:
    """The pending secret's otpauth:// URI and QR code for the enrollment page."""
    user = _active_user(rt, attempt)
    if not user.totp_pending:
        raise NotAuthenticated("Please start your sign-in again.")
    secret = rt.box.decrypt(user.totp_pending, f"totp:{user.user_id}").decode()
    uri = totp.provisioning_uri(secret, user.username, user.company_name)
    return uri, totp.qr_data_uri(uri)


def complete_enrollment(
    rt: Runtime, attempt: Attempt, code: str, previous_token: str | None,
    origin: security_alerts.Origin = security_alerts.UNKNOWN,
) -> tuple[str, HubSession, HubUser]:
    """Enrollment's first code proves the authenticator; the pending secret becomes the secret."""
    user = _code_attempt(rt, attempt)
    if not user.totp_pending:
        raise NotAuthenticated("Please start your sign-in again.")
    secret = rt.box.decrypt(user.totp_pending, f"totp:{user.user_id}").decode()
    done = _complete_with_code(rt, user, secret, code, user.totp_pending, previous_token)
    security_alerts.authenticator_added(rt, user, origin)
    return done
