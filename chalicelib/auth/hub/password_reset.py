"""Forgot password: a single-use link by mail that sets a new password, without bypassing 2FA.

The request only enqueues a job on the mail queue, so its answer and its work are the same whatever
company, username or account exists. The job (the mail queue's consumer) looks the login up and
issues a link in one transaction that refuses an unknown, deactivated or deleted account and an
account past its hourly mails (`storage.hub.password_resets`): one query and one transaction in
every case. The link's token is 32 random bytes; only its SHA-256 is stored. Using the link sets the
password under the password policy, ends every hub and module session of the user through the
`sessions.revoked` event an administrative kill publishes, and mails the user that their password
changed. The next login still asks for the password and then the second factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from urllib.parse import quote

from chalicelib import logs
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth import names, passwords
from chalicelib.auth.hub import accounts
from chalicelib.errors import InvalidInput
from chalicelib.mail import outbox
from chalicelib.mail.message import Mail
from chalicelib.mail.templates import compose
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import password_resets as store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.password_resets import ResetLink
from chalicelib.storage.hub.users import HubUser

JOB = "hub.password_reset"
LINK_LIFETIME = dt.timedelta(minutes=30)
MAILS_PER_HOUR = 3
RESET_PATH = "/hub/login/reset"
FORGOT_PATH = "/hub/login/forgot"
LINK_ERROR = "This password reset link is not valid, was already used or has expired. " \
             "Request a new one."
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def request(rt: Runtime, company: str, username: str, email: str = "") -> None:
    """'Forgot password?': queue the lookup and the mail; the same answer for every account.

    The user names their account by company and username, or by its verified email address."""
    company, username, email = company.strip(), username.strip(), email.strip()
    if email and not (company or username):
        if "@" not in email or len(email) > 254:
            raise InvalidInput("Enter a valid email address.")
        outbox.enqueue_job(rt, JOB, {"email": email})
        return
    if not company or not username:
        raise InvalidInput("Enter your username and company name, or your email address.")
    if len(company) > 120 or len(username) > 64:
        raise InvalidInput("That username or company name is too long.")
    outbox.enqueue_job(rt, JOB, {"company": company, "username": username})


def run_request(rt: Runtime, job: dict[str, Any]) -> None:
    """The mail queue's job: issue a link and mail it to each account the request names that may
    have one now.

    By company and username: the login query and one transaction, whatever the account (no mail
    address counts as no account). By email: the verified-email index query, then one
    transaction per account with that verified address (several companies' users may share one),
    and one (refused) transaction when none has: an unknown address costs what one account does.
    """
    if "email" in job:
        found: list[HubUser | None] = [*user_store.users_by_verified_email(str(job["email"]))]
        for user in found or [None]:
            _issue(rt, user)
        return
    _issue(rt, user_store.user_by_login(names.login_key(str(job.get("company", "")),
                                                        str(job.get("username", "")))))


def _issue(rt: Runtime, user: HubUser | None) -> None:
    """One account's link, if it exists, is active, has an address and its hourly quota is open
    (one transaction in every case)."""
    mailable = user if user is not None and "@" in user.email else None
    token = rt.random.token(32)
    now = rt.clock.now()
    link = ResetLink(link_hash(token), mailable.user_id if mailable else "", now + LINK_LIFETIME)
    issued = store.issue(link, mailable.user_id if mailable else None, now, MAILS_PER_HOUR)
    if issued and mailable is not None:
        outbox.enqueue(rt, reset_mail(rt, mailable, token))


def link_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def reset_mail(rt: Runtime, user: HubUser, token: str) -> Mail:
    link = f"{rt.settings.base_url.rstrip('/')}{RESET_PATH}?token={quote(token)}"
    return compose("password_reset", user.email, "Reset your Hub password", name=user.name,
                   username=user.username, company=user.company_name, link=link,
                   minutes=int(LINK_LIFETIME.total_seconds() // 60))


def usable_link(rt: Runtime, token: str) -> ResetLink:
    """The stored, unused, unexpired link of `token`; InvalidInput (one message) otherwise."""
    if not _TOKEN.match(token or ""):
        raise InvalidInput(LINK_ERROR)
    link = store.link_of(link_hash(token))
    if link is None or link.used_at is not None or link.expires_at <= rt.clock.now():
        raise InvalidInput(LINK_ERROR)
    return link


def set_password(rt: Runtime, token: str, password: str, confirmation: str) -> HubUser:
    """Set a new password with a link: once, within its lifetime, under the password policy.

    A password the policy refuses changes nothing and keeps the link usable. DynamoDB calls: the
    link read, the user read, one transaction (link used, password set, every hub session ended
    by the next session epoch, the audit entry); modules hear it as an administrative kill.
    """
    link = usable_link(rt, token)
    user = user_store.get_user(link.user_id)
    if user.status != "active":
        raise InvalidInput(LINK_ERROR)
    if password != confirmation:
        raise InvalidInput("The two passwords differ.", field="password")
    new_hash = passwords.hash_password(
        password, (user.username, user.company_name, user.email.partition("@")[0], user.name))
    entry = accounts.audit_entry(rt, user.company_id, user, "user.password_reset", user.username)
    if not store.use(link, rt.clock.now(), new_hash, entry):
        raise InvalidInput(LINK_ERROR)
    accounts.publish(rt, lifecycle.SESSIONS_REVOKED, user,
                     reason=lifecycle.REVOKED_BY_PASSWORD_RESET)
    password_changed(rt, user)
    return user


def password_changed(rt: Runtime, user: HubUser) -> None:
    """Security alert: tell the user by mail that their password changed (no mail address, no
    mail)."""
    if "@" not in user.email:
        return
    base = rt.settings.base_url.rstrip("/")
    mail = compose(
        "password_changed", user.email, "Your Hub password was changed", name=user.name,
        username=user.username, company=user.company_name,
        when=rt.clock.now().astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        forgot_link=f"{base}{FORGOT_PATH}")
    try:
        outbox.enqueue(rt, mail)
    except Exception as exc:  # the password is set: a refused queue must not undo the answer
        logs.event("security_alert_not_queued", template="password_changed",
                   error=type(exc).__name__)
