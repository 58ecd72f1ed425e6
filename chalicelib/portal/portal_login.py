"""Local login to the Partner Portal: email or username, then password.

One generic error for an unknown account, a wrong password, a locked or inactive account, and the
same work for each: the account lookup (one read whether it exists or not), one conditional
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
from chalicelib.storage.portal.markers import LoginFields
from chalicelib.storage.portal.sessions import PortalSession
from chalicelib.storage.portal.users import NamedAccount, PortalUser

ERROR = "The email, username or password is incorrect."
UNKNOWN_SOURCE = "unknown"


def account_named(identifier: str) -> NamedAccount | None:
    """The one account an email (when only one account has it) or a username (unique) names:
    one read either way (an index query, or the username's marker, which carries what a login
    needs)."""
    if "@" in identifier:
        found = store.users_by_email_key(users.email_key(identifier), limit=2)
        return NamedAccount(store.login_fields(found[0])) if len(found) == 1 else None
    return store.account_by_username_key(users.username_key(identifier))


def is_break_glass(account: PortalUser | LoginFields) -> bool:
    """Security Admins and Primary users: throttled per source address, so never locked out."""
    return account.role in GUARDED_ROLES


def check_password(rt: Runtime, identifier: str, password: str, source: str = "") -> PortalUser:
    """The active account this identifier and password open; LoginFailed otherwise.

    `source` is the request's source address (break-glass accounts are throttled per source).
    A login uses `log_in`, which writes what this does and the session in one call.
    """
    account = _password_opens(rt, identifier, password, source).fields
    if is_break_glass(account):
        source_throttles.forget(account.user_id, source or UNKNOWN_SOURCE)
    user = store.get_user(account.user_id)
    if security_settings.must_use_hub(rt, user):  # the password was right, so saying why
        raise LoginFailed(exemptions.MUST_USE_HUB)  # reveals nothing new
    return user


def log_in(rt: Runtime, identifier: str, password: str, source: str = "",
           previous_token: str | None = None) -> tuple[str, PortalSession]:
    """`check_password`, then a new session: the account lookup (one read), the attempt taken,
    and one transaction that resets the failures, forgets the source's count, ends the previous
    session and starts the new one, on the conditions that the user item still holds what the
    password was checked against (else LoginFailed, and the copy on the username's marker is
    written again) and that the company lets the user log in locally (else LoginFailed saying
    to use the hub: the password was right, so that reveals nothing new)."""
    account = _password_opens(rt, identifier, password, source)
    token, session = sessions.new_session(rt, account.fields, None)
    outcome = _start(session, account, source, previous_token, rt)
    if outcome == logins.ACCOUNT_CHANGED:
        store.refresh_copy(account.fields.user_id)
        raise LoginFailed(ERROR)
    if outcome == logins.MUST_USE_HUB:
        raise LoginFailed(exemptions.MUST_USE_HUB)
    return token, session


def _start(session: PortalSession, account: NamedAccount, source: str,
           previous_token: str | None, rt: Runtime) -> str:
    """The login's one transaction (see `logins.start_after_login`); what it came to."""
    user = account.fields
    return logins.start_after_login(
        session, rt.clock.now(), previous_key=session_key(previous_token) if previous_token
        else None, throttle_key=source_throttles.throttle_key(
            user.user_id, source or UNKNOWN_SOURCE) if is_break_glass(user) else None,
        check_hub_rule=user.role not in security_settings.ALWAYS_EXEMPT_ROLES,
        checked=logins.Checked(user, account.copy_to))


def _password_opens(rt: Runtime, identifier: str, password: str, source: str) -> NamedAccount:
    """The active account this identifier and password open (one attempt taken, one hash)."""
    identifier = identifier.strip()
    if not identifier or not password:
        raise InvalidInput("Enter your email or username and your password.")
    if len(identifier) > 254:
        raise LoginFailed(ERROR)
    account = account_named(identifier)
    user = account.fields if account else None
    taken = _take_attempt(user, source or UNKNOWN_SOURCE, throttle.gate(rt.clock.now()))
    evaluated = account if user is not None and taken else None
    password_ok = passwords.verify(evaluated.fields.password_hash if evaluated else None,
                                   password[:256])
    if evaluated is None or not password_ok or evaluated.fields.status != users.ACTIVE:
        raise LoginFailed(ERROR)
    return evaluated


def _take_attempt(user: LoginFields | None, source: str, gate: AttemptGate) -> bool:
    """One conditional update, whoever the account: per source for break-glass accounts, per
    account otherwise (for no account, an update that fails on its condition)."""
    if user is not None and is_break_glass(user):
        return source_throttles.take_attempt(user.user_id, source, gate)
    return store.take_login_attempt(user.user_id if user else None, gate)
