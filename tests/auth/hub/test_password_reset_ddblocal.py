"""Password reset on DynamoDB Local: two uses of one link at once set one password, and a burst of
requests sends no more mails than the hourly quota."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import runtime
from chalicelib.auth import passwords
from chalicelib.auth.hub import password_reset
from chalicelib.errors import InvalidInput
from chalicelib.storage.hub import users as store
from devstack.mail_catcher import MailCatcher
from tests.auth.hub.helpers import make_account
from tests.conftest import unique
from tests.fakes import build_for_tests

pytestmark = pytest.mark.ddblocal


@pytest.fixture
def ddb_mailing(ddb: runtime.Runtime, mail_catcher: MailCatcher) -> runtime.Runtime:
    settings = ddb.settings.with_overrides(smtp_host=mail_catcher.host,
                                           smtp_port=mail_catcher.smtp_port)
    return runtime.install(build_for_tests(settings, clock=ddb.clock))


def _at_once(count: int, work: Callable[[int], str]) -> list[str]:
    start = threading.Barrier(count)

    def released(i: int) -> str:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(released, range(count)))


def test_two_uses_of_one_link_at_once_set_one_password(ddb_mailing, mail_catcher, frozen_time):
    account = make_account(unique("Reset Race Co"))
    for round_number in range(3):
        seen = len(mail_catcher.inbox.mails())
        password_reset.request(ddb_mailing, account.company.name, "alice")
        mail = mail_catcher.inbox.wait_for("alice@example.com", "Reset", after=seen)
        token = mail.links()[0].split("token=", 1)[1]
        candidates = [f"winding-river-{round_number}-{i}-lantern" for i in range(2)]

        def use(i: int, token: str = token, candidates: list[str] = candidates) -> str:
            try:
                password_reset.set_password(ddb_mailing, token, candidates[i], candidates[i])
            except InvalidInput as error:
                assert error.message == password_reset.LINK_ERROR
                return "refused"
            return "set"

        outcomes = _at_once(2, use)
        assert sorted(outcomes) == ["refused", "set"]
        winner = candidates[outcomes.index("set")]
        loser = candidates[outcomes.index("refused")]
        stored = store.get_user(account.user.user_id).password_hash
        assert passwords.verify(stored, winner) and not passwords.verify(stored, loser)
        frozen_time.advance(minutes=5)


def test_a_burst_of_requests_sends_at_most_the_hourly_quota(ddb_mailing, mail_catcher):
    account = make_account(unique("Reset Burst Co"))
    _at_once(12, lambda i: str(password_reset.request(ddb_mailing, account.company.name,
                                                      "alice")))
    mails = [m for m in mail_catcher.inbox.mails() if m.to == ["alice@example.com"]]
    assert len(mails) == password_reset.MAILS_PER_HOUR
    assert len({m.links()[0] for m in mails}) == password_reset.MAILS_PER_HOUR
