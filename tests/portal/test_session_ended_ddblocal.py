"""Sessions ended for their user while others log out or end them too, on DynamoDB Local: every
live session is refused as ended, a session logged out meanwhile is not brought back as a
half-written item, and the count of ended sessions adds up to the sessions there were."""

from __future__ import annotations

import pytest

from chalicelib.auth.session_rules import session_key
from chalicelib.errors import SessionEnded
from chalicelib.portal import companies, sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage.portal.sessions import portal_sessions
from tests.portal.helpers import make_user, unique_name
from tests.racing import at_once

pytestmark = pytest.mark.ddblocal

ROUNDS = 6
ENDERS = 4


def _at_once(actions: list) -> list[BaseException]:
    return at_once(actions)


def test_ending_at_once_with_a_logout_ends_every_session_and_resurrects_none(ddb):
    user = make_user(companies.create_company(ddb, unique_name("Ending")), role=TECHNICIAN)
    for _ in range(ROUNDS):
        tokens = [sessions.start(ddb, user)[0] for _ in range(3)]
        logged_out = tokens[0]
        counts: list[int] = []
        def log_out(token: str = logged_out) -> None:
            sessions.end(token)

        def end_all(counted: list[int] = counts) -> None:
            counted.append(sessions.end_all_for_user(user.user_id))

        failures = _at_once([log_out] + [end_all] * ENDERS)
        assert failures == []
        assert portal_sessions.get_session(session_key(logged_out)) is None  # no partial item
        for token in tokens[1:]:
            with pytest.raises(SessionEnded):
                sessions.resume(ddb, token)
            assert portal_sessions.get_session(session_key(token)) is None  # told once
        # each live session was counted by the ender that marked it (others may have counted it
        # too, having read it before the mark); nothing is left to end afterwards
        assert 2 <= sum(counts) <= 3 * ENDERS
        assert sessions.end_all_for_user(user.user_id) == 0
