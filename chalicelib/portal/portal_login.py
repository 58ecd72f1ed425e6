"""Local login to the Partner Portal: email or username, then password.

One generic error for an unknown account, a wrong password, a locked or inactive account, and the
same work for each: the account lookup (the same reads whether it exists or not), one conditional
update that takes the attempt before the password is evaluated (chalicelib.auth.throttle), and ONE
password hash per request (a dummy one when no attempt was taken). So the number of accounts an
email has is not measurable either: an email shared by accounts in several partner companies names
no single account, and those users sign in with their username (unique). Security Admins and
Primary users are throttled per source address, never locked as a whole. Users whose company
requires Log In with Hub (and who are not exempt) are refused after a correct password, with a
message saying so.
"""

from __future__ import annotations

from chalicelib.auth import passwords, throttle
from chalicelib.auth.session_rules import session_key
from chalicelib.auth.sso import exemptions
from chalicelib.errors import InvalidInput, LoginFailed
from chalicelib.portal import security_settings, sessions, users
from chalicelib.portal.policy import GUARDED_ROLES
from chalicelib.runtime import Runtime
from chalicelib.storage.attempts import AttemptGate
from chalicelib.storage.portal import logins, source_throttles
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.sessions import PortalSession
from chalicelib.storage.portal.users import PortalUser

ERROR = "The email, username or password is incorrect."
UNKNOWN_SOURCE = "unknown"


def account_named(identifier: str) -> PortalUser | None:
    """The one account an email (when only one account has it) or a username (unique) names."""
    if "@" in identifier:
        found = store.users_by_email_key(users.email_key(identifier), limit=2)
        return found[0] if len(found) == 1 else None
    return store.user_by_username_key(users.username_key(identifier))


def is_break_glass(user: PortalUser) -> bool:
    """Security Admins and Primary users: throttled per source address, so never locked out."""
    return user.role in GUARDED_ROLES


def check_password(rt: Runtime, identifier: str, password: str, source: str = "") -> PortalUser:
    """The active account this identifier and password open; LoginFailed otherwise.

    `source` is the request's source address (break-glass accounts are throttled per source).
    A login uses `log_in`, which writes what this does and the session in one call.
    """
    user = _password_opens(rt, identifier, password, source)
    if is_break_glass(user):
        source_throttles.forget(user.user_id, source or UNKNOWN_SOURCE)
    if security_settings.must_use_hub(rt, user):  # the password was right, so saying why
        raise LoginFailed(exemptions.MUST_USE_HUB)  # reveals nothing new
    return user


def log_in(rt: Runtime, identifier: str, password: str, source: str = "",
           previous_token: str | None = None) -> tuple[str, PortalSession]:
    """`check_password`, then a new session: the account lookup, the attempt taken, and one
    transaction that resets the failures, forgets the source's count, ends the previous
    session and starts the new one, on the condition that the company lets the user log in
    locally (else LoginFailed saying to use the hub: the password was right, so that reveals
    nothing new)."""
    user = _password_opens(rt, identifier, password, source)
    source = source or UNKNOWN_SOURCE
    started = _start_after_login(
        rt, user, previous_token,
        throttle_key=source_throttles.throttle_key(user.user_id, source)
        if is_break_glass(user) else None,
        check_hub_rule=user.role not in security_settings.ALWAYS_EXEMPT_ROLES)
    if started is None:
        raise LoginFailed(exemptions.MUST_USE_HUB)
    return started


def _password_opens(rt: Runtime, identifier: str, password: str, source: str) -> PortalUser:
    """The active account this identifier and password open (one attempt taken, one hash)."""
    identifier = identifier.strip()
    if not identifier or not password:
        raise InvalidInput("Enter your email or username and your password.")
    if len(identifier) > 254:
        raise LoginFailed(ERROR)
    user = account_named(identifier)
    taken = _take_attempt(user, source or UNKNOWN_SOURCE, throttle.gate(rt.clock.now()))
    evaluated = user if user is not None and taken else None
    password_ok = passwords.verify(evaluated.password_hash if evaluated else None, password[:256])
    if evaluated is None or not password_ok or evaluated.status != users.ACTIVE:
        raise LoginFailed(ERROR)
    return evaluated


def _take_attempt(user: PortalUser | None, source: str, gate: AttemptGate) -> bool:
    """One conditional update, whoever the account: per source for break-glass accounts, per
    account otherwise (for no account, an update that fails on its condition)."""
    if user is not None and is_break_glass(user):
        return source_throttles.take_attempt(user.user_id, source, gate)
    return store.take_login_attempt(user.user_id if user else None, gate)


def complete(rt: Runtime, user: PortalUser, previous_token: str | None,
             hub_sid: str | None = None) -> tuple[str, PortalSession]:
    """The user signed in another way (the hub): reset failures and start a new session, in
    one call."""
    started = _start_after_login(rt, user, previous_token, hub_sid=hub_sid)
    if started is None:  # pragma: no cover (no condition is asked for)
        raise LoginFailed(ERROR)
    return started


def _start_after_login(rt: Runtime, user: PortalUser, previous_token: str | None = None, *,
                      hub_sid: str | None = None, throttle_key: str | None = None,
                      check_hub_rule: bool = False) -> tuple[str, PortalSession] | None:
    """`start` for a login that passed, with its other writes in the same single call (the
    failures reset, the source's count forgotten); None when `check_hub_rule` and the company
    requires Log In with Hub of this user (then nothing is written)."""
    token, session = sessions.new_session(rt, user, hub_sid)
    started = logins.start_after_login(
        session, rt.clock.now(), previous_key=session_key(previous_token) if previous_token
        else None, throttle_key=throttle_key, check_hub_rule=check_hub_rule)
    return (token, session) if started else None
