"""Change password on DynamoDB Local: two changes at once set one password, and a burst of wrong
current passwords gets no more guesses evaluated than the login's password step allows."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import runtime
from chalicelib.auth import passwords, throttle
from chalicelib.auth.hub import accounts, sessions
from chalicelib.errors import ConcurrentChange, InvalidInput, TooManyRequests
from chalicelib.storage.hub import users as store
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
