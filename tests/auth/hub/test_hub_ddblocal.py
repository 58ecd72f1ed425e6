"""The hub's conditional writes on a real DynamoDB Local: races a user could trigger."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib import runtime
from chalicelib.auth.hub import accounts, login
from chalicelib.errors import AlreadyExists, InvalidInput, LoginFailed, TooManyRequests
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.sessions import hub_sessions
from tests.auth.hub.helpers import PASSWORD, current_code, log_in, make_account
from tests.conftest import unique

pytestmark = pytest.mark.ddblocal


def _attempt_at_code_step(account):
    rt = runtime.current()
    attempt = login.begin(rt, account.company.name, account.user.username, "/hub/")
    return login.check_password(rt, attempt, PASSWORD)


def test_the_same_code_submitted_twice_at_once_logs_in_once(ddb):
    account = make_account(unique("Race Co"))
    code = current_code(account.totp_secret)
    attempts = [_attempt_at_code_step(account) for _ in range(8)]

    def submit(attempt):
        try:
            login.verify_code(ddb, attempt, code, None)
            return "ok"
        except (InvalidInput, TooManyRequests):  # a replay counts as a failure, then locks
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(submit, attempts))
    assert outcomes.count("ok") == 1 and outcomes.count("refused") == 7


def test_wrong_codes_from_parallel_attempts_share_one_counter(ddb):
    account = make_account(unique("Parallel Co"))
    attempts = [_attempt_at_code_step(account) for _ in range(6)]

    def submit(attempt):
        try:
            login.verify_code(ddb, attempt, "000000", None)
        except InvalidInput:
            return "wrong code"
        except TooManyRequests:
            return "locked"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(submit, attempts))
    assert store.get_user(account.user.user_id).failures == outcomes.count("wrong code") >= 5
    with pytest.raises(LoginFailed):
        _attempt_at_code_step(account)  # locked: even the right password is refused


def test_two_masters_creating_the_same_username_at_once_make_one_user(ddb):
    company = accounts.create_company(ddb, unique("Dup Co"))

    def create(i):
        try:
            accounts.create_user_at_setup(ddb, company, username="sam",
                                          email=f"sam{i}@example.com", name="Sam",
                                          password=PASSWORD)
            return "created"
        except AlreadyExists:
            return "taken"

    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(create, range(5)))
    assert outcomes.count("created") == 1
    assert [u.username for u in store.users_of_company(company.company_id)] == ["sam"]


def test_full_login_and_deactivation_on_dynamodb_local(ddb_client, ddb):
    master = make_account(unique("Live Co"))
    assert log_in(ddb_client, master).status == 303
    assert ddb_client.get("/hub/").status == 200
    hub_sessions.delete_sessions_of_user(master.user.user_id)
    assert ddb_client.get("/hub/").location.startswith("/hub/login")
