"""Change password on DynamoDB Local: two changes at once set one password, a burst of wrong
current passwords gets no more guesses evaluated than the login's password step allows, and the
one transaction of a change ends every other session (or, refused, changes nothing)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import runtime
from chalicelib.auth import passwords, throttle
from chalicelib.auth.hub import accounts, sessions
from chalicelib.errors import ConcurrentChange, InvalidInput, NotAuthenticated, TooManyRequests
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.audit import hub_audit
from chalicelib.storage.hub.sessions import HubSession, hub_sessions
from tests.auth.hub.helpers import PASSWORD, make_account
from tests.conftest import unique

pytestmark = pytest.mark.ddblocal

BURST = 20


class Recording:
    """The mail queue: keeps what was sent (the alerts), sends nothing."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self._lock = threading.Lock()

    def send(self, body: str) -> None:
        with self._lock:
            self.sent.append(body)


def recording_mail(rt: runtime.Runtime) -> tuple[runtime.Runtime, Recording]:
    recording = Recording()
    queues = dataclasses.replace(rt.queues, mail=recording)
    return runtime.install(runtime.build(rt.settings, clock=rt.clock, queues=queues)), recording


def _burst(count: int, attempt: Callable[[int], str]) -> list[str]:
    """Run `count` attempts released at the same moment."""
    start = threading.Barrier(count)

    def released(i: int) -> str:
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))


def test_two_changes_at_once_set_one_password(ddb):
    rt, mail = recording_mail(ddb)
    account = make_account(unique("Race Co"))
    token, _ = sessions.start(rt, account.user)
    candidates = ["first-amber-harbour-61", "second-violet-meadow-62"]

    def change(i: int) -> str:
        try:
            accounts.change_password(rt, account.user, token, accounts.PasswordChange(
                PASSWORD, candidates[i], candidates[i]))
        except ConcurrentChange:
            return "refused"
        return "changed"

    outcomes = _burst(2, change)
    assert sorted(outcomes) == ["changed", "refused"]
    winner = candidates[outcomes.index("changed")]
    stored = store.get_user(account.user.user_id).password_hash
    assert passwords.verify(stored, winner)
    assert not passwords.verify(stored, candidates[1 - outcomes.index("changed")])
    assert len(mail.sent) == 1  # one alert, for the one change


def test_a_burst_of_wrong_current_passwords_gets_five_evaluated(ddb):
    rt, mail = recording_mail(ddb)
    account = make_account(unique("Burst Co"))
    token, _ = sessions.start(rt, account.user)

    def guess(i: int) -> str:
        try:
            accounts.change_password(rt, account.user, token, accounts.PasswordChange(
                f"wrong-guess-number-{i}", "fresh-copper-lantern-63", "fresh-copper-lantern-63"))
        except TooManyRequests:
            return "waiting"
        except InvalidInput:
            return "wrong"
        return "changed"

    with passwords.counting_verifications() as hashes:
        outcomes = _burst(BURST, guess)
    assert outcomes.count("wrong") == throttle.FREE_FAILURES
    assert outcomes.count("waiting") == BURST - throttle.FREE_FAILURES
    assert hashes.of_accounts == throttle.FREE_FAILURES
    user = store.get_user(account.user.user_id)
    assert user.password_failures == throttle.FREE_FAILURES
    assert user.password_hash == account.user.password_hash and mail.sent == []


def _old_format_session(rt: runtime.Runtime, user: store.HubUser) -> str:
    """A session whose cookie token names no ids (issued before tokens carried them)."""
    token = rt.random.token(32)
    now = rt.clock.now()
    hub_sessions.create_session(HubSession(
        session_key=sessions.session_key(token), user_id=user.user_id, company_id=user.company_id,
        created_at=now, last_seen_at=now, expires_at=now + sessions.ABSOLUTE_LIFETIME,
        epoch=user.session_epoch))
    return token


def test_a_change_ends_every_other_session_and_keeps_this_one(ddb):
    """A thief's sessions (a hinted token and an old-format one) stop at the change; the session
    that made the change goes on; the audit entry was written with the new password."""
    rt, mail = recording_mail(ddb)
    account = make_account(unique("Change Co"))
    token, _ = sessions.start(rt, account.user)
    stolen, _ = sessions.start(rt, account.user)
    old_format = _old_format_session(rt, account.user)
    _, actor = sessions.resume(rt, token)
    accounts.change_password(rt, actor, token, accounts.PasswordChange(
        PASSWORD, "amber-meadow-falcon-77", "amber-meadow-falcon-77"))
    for thief in (stolen, old_format):
        with pytest.raises(NotAuthenticated):
            sessions.resume(rt, thief)
    assert sessions.resume(rt, token)[1].user_id == account.user.user_id
    assert [e.action for e in hub_audit.audit_of(account.company.company_id)
            if e.action == "user.change_password"] == ["user.change_password"]
    assert len(mail.sent) == 1


def test_a_change_from_a_session_ended_meanwhile_changes_nothing(ddb):
    """The session signed out in another tab between its page read and the change: the change
    is refused whole (no password, no epoch, no audit entry), so no session is left that the
    user did not keep."""
    rt, mail = recording_mail(ddb)
    account = make_account(unique("Change Co"))
    token, _ = sessions.start(rt, account.user)
    other, _ = sessions.start(rt, account.user)
    _, actor = sessions.resume(rt, token)
    sessions.end(token)
    with pytest.raises(ConcurrentChange):
        accounts.change_password(rt, actor, token, accounts.PasswordChange(
            PASSWORD, "amber-meadow-falcon-77", "amber-meadow-falcon-77"))
    stored = store.get_user(account.user.user_id)
    assert passwords.verify(stored.password_hash, PASSWORD)
    assert stored.session_epoch == account.user.session_epoch
    assert sessions.resume(rt, other)[1].user_id == account.user.user_id
    assert [e.action for e in hub_audit.audit_of(account.company.company_id)
            if e.action == "user.change_password"] == [] and mail.sent == []
