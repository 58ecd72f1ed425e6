"""Parallel guesses on DynamoDB Local: each attempt is taken before it is evaluated, so a burst of
40 never gets more than the free failures evaluated, at the password step or the code step."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.auth import passwords, throttle
from chalicelib.auth.hub import login, totp
from chalicelib.errors import InvalidInput, LoginFailed, TooManyRequests
from chalicelib.storage.hub import users as store
from tests.auth.hub.helpers import PASSWORD, current_code, make_account
from tests.conftest import unique

pytestmark = pytest.mark.ddblocal

BURST = 40


def _burst(guess: Callable[[int], str]) -> list[str]:
    """Run BURST guesses released at the same moment."""
    start = threading.Barrier(BURST)

    def released(i: int) -> str:
        start.wait()
        return guess(i)

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(released, range(BURST)))


def test_forty_parallel_passwords_get_five_evaluated_and_then_none(ddb):
    account = make_account(unique("Burst Co"))

    def guess_with(passwords_sent: list[str]) -> Callable[[int], str]:
        def guess(i: int) -> str:
            attempt = login.begin(ddb, account.company.name, "alice", "/hub/")
            try:
                login.check_password(ddb, attempt, passwords_sent[i])
            except LoginFailed:
                return "refused"
            return "passed"
        return guess

    wrong = [f"wrong-guess-number-{i}" for i in range(BURST)]
    with passwords.counting_verifications() as hashes:
        outcomes = _burst(guess_with(wrong))
    assert outcomes == ["refused"] * BURST
    assert hashes.of_accounts == throttle.FREE_FAILURES  # the others met a dummy hash only
    assert hashes.of_dummy == BURST - throttle.FREE_FAILURES
    assert store.get_user(account.user.user_id).password_failures == throttle.FREE_FAILURES

    with_right_one = [PASSWORD] + wrong[1:]  # the limit is reached: not even it is evaluated
    with passwords.counting_verifications() as hashes:
        outcomes = _burst(guess_with(with_right_one))
    assert outcomes == ["refused"] * BURST and hashes.of_accounts == 0
    assert store.get_user(account.user.user_id).password_failures == throttle.FREE_FAILURES


def _wrong_codes(secret: str, now: dt.datetime) -> list[str]:
    """BURST codes, none of them accepted around `now`."""
    accepted = {totp.code_at(secret, now + dt.timedelta(seconds=s)) for s in range(-90, 91, 30)}
    return [c for c in (f"{n:06d}" for n in range(2 * BURST)) if c not in accepted][:BURST]


def test_forty_parallel_codes_get_five_evaluated_and_the_right_one_then_fails(ddb):
    account = make_account(unique("Code Burst Co"))
    attempts = [login.check_password(ddb, login.begin(ddb, account.company.name, "alice", "/"),
                                     PASSWORD) for _ in range(BURST)]
    assert {a.step for a in attempts} == {"totp"}
    before = store.get_user(account.user.user_id)
    wrong = _wrong_codes(account.totp_secret, ddb.clock.now())

    def guess_with(codes: list[str]) -> Callable[[int], str]:
        def guess(i: int) -> str:
            try:
                login.verify_code(ddb, attempts[i], codes[i], None)
            except InvalidInput:
                return "wrong code"  # evaluated
            except TooManyRequests:
                return "throttled"  # refused before the code was looked at
            return "signed in"
        return guess

    outcomes = _burst(guess_with(wrong))
    assert outcomes.count("wrong code") == throttle.FREE_FAILURES
    assert outcomes.count("throttled") == BURST - throttle.FREE_FAILURES
    assert store.get_user(account.user.user_id).failures == throttle.FREE_FAILURES

    right = current_code(account.totp_secret)
    outcomes = _burst(guess_with(wrong[:BURST - 1] + [right]))
    assert outcomes == ["throttled"] * BURST
    after = store.get_user(account.user.user_id)
    assert after.failures == throttle.FREE_FAILURES
    assert (after.totp_last_step, after.last_login_at) == (before.totp_last_step,
                                                           before.last_login_at)


def test_abandoned_second_factors_never_lock_the_password_step_and_cost_one_free_failure(ddb):
    """A right password's attempt stays counted until the second factor completes the login (the
    password step makes no third call for it): abandoning the code step again and again never
    locks the account, and costs at most one of the free failures."""
    account = make_account(unique("Abandon Co"))

    def password_step(password: str) -> login.Attempt:
        return login.check_password(ddb, login.begin(ddb, account.company.name, "alice", "/hub/"),
                                    password)

    for _ in range(3 * throttle.FREE_FAILURES):
        assert password_step(PASSWORD).step == "totp"  # then abandoned
    assert store.get_user(account.user.user_id).password_failures == 1
    for i in range(throttle.FREE_FAILURES - 1):
        with pytest.raises(LoginFailed):
            password_step(f"wrong-guess-number-{i}")
    with passwords.counting_verifications() as hashes, pytest.raises(LoginFailed):
        password_step(PASSWORD)  # five counted: the delay runs, the password is not evaluated
    assert hashes.of_accounts == 0
    ddb.clock.advance(seconds=throttle.FIRST_DELAY + 1)
    attempt = password_step(PASSWORD)
    assert store.get_user(account.user.user_id).password_failures == 0  # failures forgiven
    login.verify_code(ddb, attempt, current_code(account.totp_secret), None)
    after = store.get_user(account.user.user_id)
    assert (after.password_failures, after.failures) == (0, 0)
