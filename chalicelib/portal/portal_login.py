"""Local login to the Partner Portal: email or username, then password.

One generic error for an unknown account, a wrong password, a locked or inactive account; an
unknown account is verified against a dummy hash so it takes as long as a real one. Failures are
counted per account (chalicelib.auth.throttle derives the lock). An email used in several partner
companies may match more than one account; the user then picks the company from a list the server
signed, so a tampered choice is refused. Users whose company requires Log In with Hub (and who
are not exempt) are refused after a correct password, with a message saying so.
"""

from __future__ import annotations

from chalicelib.auth import passwords, throttle
from chalicelib.auth.sso import exemptions
from chalicelib.errors import InvalidInput, LoginFailed, NotAuthenticated
from chalicelib.portal import security_settings, sessions, users
from chalicelib.runtime import Runtime
from chalicelib.signing import BadSignature
from chalicelib.storage.portal import users as store
from chalicelib.storage.portal.sessions import PortalSession
from chalicelib.storage.portal.users import PortalUser

ERROR = "The email, username or password is incorrect."
MAX_ACCOUNTS_PER_EMAIL = 5
CHOICE_PURPOSE = "portal-login-choice"
CHOICE_MAX_AGE = 5 * 60


def candidates(identifier: str) -> list[PortalUser]:
    """The accounts an email (any company) or a username (unique) names."""
    if "@" in identifier:
        return store.users_by_email_key(users.email_key(identifier), limit=MAX_ACCOUNTS_PER_EMAIL)
    user_id = store.user_id_by_username_key(users.username_key(identifier))
    return [store.get_user(user_id)] if user_id else []


def check_password(rt: Runtime, identifier: str, password: str) -> list[PortalUser]:
    """The active, unlocked accounts this identifier and password open; LoginFailed if none."""
    identifier = identifier.strip()
    if not identifier or not password:
        raise InvalidInput("Enter your email or username and your password.")
    if len(identifier) > 254:
        raise LoginFailed(ERROR)
    found = candidates(identifier)
    now = rt.clock.now()
    password = password[:256]
    if not found:
        passwords.verify(None, password)  # same cost as a real account
        raise LoginFailed(ERROR)
    matched = [u for u in found if passwords.verify(u.password_hash, password)]
    if not matched:
        for user in found:
            if user.status == users.ACTIVE and user.password_hash:
                store.record_login_failure(user.user_id, now)
        raise LoginFailed(ERROR)
    usable = [u for u in matched if u.status == users.ACTIVE
              and not throttle.is_locked(u.failures, u.last_failure_at, now)]
    if not usable:
        raise LoginFailed(ERROR)
    allowed = [u for u in usable if not security_settings.must_use_hub(rt, u)]
    if not allowed:  # the password was right, so saying why reveals nothing new
        raise LoginFailed(exemptions.MUST_USE_HUB)
    return allowed


def complete(rt: Runtime, user: PortalUser, previous_token: str | None,
             hub_sid: str | None = None) -> tuple[str, PortalSession]:
    """The password step passed for `user`: reset failures and start a new session."""
    store.record_login_success(user.user_id, rt.clock.now())
    return sessions.start(rt, user, previous_token, hub_sid)


def seal_choice(rt: Runtime, choices: list[PortalUser], next_path: str) -> str:
    """A signed, short-lived list of the accounts the password opened."""
    payload = {"u": [u.user_id for u in choices], "n": next_path}
    return rt.signer.sign(CHOICE_PURPOSE, payload, CHOICE_MAX_AGE)


def unseal_choice(rt: Runtime, token: str | None) -> tuple[list[str], str]:
    """(user ids, next path) of a sealed choice; NotAuthenticated when expired or tampered."""
    try:
        data = rt.signer.unsign(CHOICE_PURPOSE, token)
    except BadSignature as exc:
        raise NotAuthenticated("Your sign-in expired. Please log in again.") from exc
    return list(data["u"]), str(data["n"])


def accounts_offered(rt: Runtime, token: str | None) -> list[PortalUser]:
    """The accounts the sealed choice lists, for the page where the user picks one."""
    user_ids, _ = unseal_choice(rt, token)
    return [store.get_user(user_id) for user_id in user_ids]


def choose(rt: Runtime, token: str | None, user_id: str,
           previous_token: str | None) -> tuple[str, PortalSession, str]:
    """Finish a login for one of the sealed accounts; any other id is refused."""
    allowed, next_path = unseal_choice(rt, token)
    if user_id not in allowed:
        raise LoginFailed("Choose one of the listed companies.")
    user = store.get_user(user_id)
    if user.status != users.ACTIVE:
        raise LoginFailed(ERROR)
    token_value, session = complete(rt, user, previous_token)
    return token_value, session, next_path
