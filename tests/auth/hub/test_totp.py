"""TOTP as RFC 6238 defines it (SHA-1, 6 digits, 30 s, ±1 step), and no code older than the last."""

from __future__ import annotations

import base64
import datetime as dt

import pytest

from chalicelib.auth.hub import totp
from tests.auth.hub.helpers import log_in, make_account

# RFC 6238 appendix B, SHA-1 seed "12345678901234567890": the low 6 digits of its 8-digit codes.
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"),
               (1234567890, "005924"), (2000000000, "279037")]


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_codes_match_the_rfc_6238_test_vectors(unix_time, code):
    moment = dt.datetime.fromtimestamp(unix_time, dt.UTC)
    assert totp.code_at(RFC_SECRET, moment) == code
    assert totp.matching_step(RFC_SECRET, code, moment) == unix_time // 30


def test_a_code_is_accepted_one_step_early_or_late_and_not_two():
    now = dt.datetime(2026, 11, 29, 12, 0, 15, tzinfo=dt.UTC)
    step = totp.step_of(now)
    for offset, accepted in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        code = totp.code_at(RFC_SECRET, now + dt.timedelta(seconds=30 * offset))
        found = totp.matching_step(RFC_SECRET, code, now)
        assert (found == step + offset) if accepted else (found is None), offset


def test_a_code_older_than_the_last_accepted_one_is_refused(client, frozen_time):
    account = make_account()
    earlier = totp.code_at(account.totp_secret, frozen_time.now() - dt.timedelta(seconds=30))
    assert log_in(client, account).status == 303  # the current step is accepted
    client.cookies.clear()
    older = log_in(client, account, earlier)  # still inside the ±1 window, but older
    assert older.status == 400 and "already used" in older.text
