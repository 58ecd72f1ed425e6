"""Parallel password guesses at the portal's local login on DynamoDB Local: each attempt is taken
before its password is verified, so a burst of 40 gets only the free failures evaluated, per
account, and per source address for a break-glass account (whose owner elsewhere still signs in)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.auth import passwords, throttle
from chalicelib.errors import LoginFailed
from chalicelib.portal import companies, portal_login
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import source_throttles
from chalicelib.storage.portal import users as store
from tests.conftest import unique
from tests.portal.helpers import PASSWORD, make_user

pytestmark = pytest.mark.ddblocal

BURST = 40
ATTACKER, OWNER = "198.51.100.7", "203.0.113.9"


def _burst(rt, username: str, sent: list[str], source: str) -> list[str]:
    start = threading.Barrier(BURST)

    def guess(password: str) -> str:
        start.wait()
        try:
            portal_login.check_password(rt, username, password, source)
        except LoginFailed:
            return "refused"
        return "signed in"

    with ThreadPoolExecutor(BURST) as pool:
        return list(pool.map(guess, sent))


WRONG = [f"wrong-guess-number-{i}" for i in range(BURST)]


def test_forty_parallel_passwords_get_five_evaluated_and_then_none(ddb):
    user = make_user(companies.create_company(ddb, unique("Burst Partner")), role=TECHNICIAN)
    with passwords.counting_verifications() as hashes:
        outcomes = _burst(ddb, user.username, WRONG, ATTACKER)
    assert outcomes == ["refused"] * BURST
    assert hashes.of_accounts == throttle.FREE_FAILURES  # the others met a dummy hash only
    assert store.get_user(user.user_id).failures == throttle.FREE_FAILURES

    with passwords.counting_verifications() as hashes:  # the limit is reached
        outcomes = _burst(ddb, user.username, [PASSWORD] + WRONG[1:], OWNER)
    assert outcomes == ["refused"] * BURST and hashes.of_accounts == 0
    assert store.get_user(user.user_id).failures == throttle.FREE_FAILURES


def test_a_burst_on_a_security_admin_is_throttled_per_address_and_the_owner_signs_in(ddb):
    admin = make_user(companies.create_company(ddb, unique("Glass Partner")), role=SECURITY_ADMIN)
    with passwords.counting_verifications() as hashes:
        outcomes = _burst(ddb, admin.username, WRONG, ATTACKER)
    assert outcomes == ["refused"] * BURST
    assert hashes.of_accounts == throttle.FREE_FAILURES
    assert source_throttles.failures_from(admin.user_id, ATTACKER) == throttle.FREE_FAILURES

    with passwords.counting_verifications() as hashes:
        outcomes = _burst(ddb, admin.username, [PASSWORD] + WRONG[1:], ATTACKER)
    assert outcomes == ["refused"] * BURST and hashes.of_accounts == 0
    signed_in = portal_login.check_password(ddb, admin.username, PASSWORD, OWNER)
    assert signed_in.user_id == admin.user_id
    assert store.get_user(admin.user_id).failures == 0  # the account itself was never locked
