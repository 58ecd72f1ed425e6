"""A portal login's writes are one transaction (issue 17): the failures reset, the source's count
forgotten, the previous session ended and the new one stored, all or none; when the company
requires Log In with Hub of the user, nothing is written and the user is told so. On moto and on
DynamoDB Local (whose condition checks are the real ones)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from chalicelib import runtime
from chalicelib.auth import throttle
from chalicelib.auth.session_rules import session_key
from chalicelib.auth.sso import exemptions
from chalicelib.errors import LoginFailed
from chalicelib.portal import portal_login, sessions
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.portal import security_settings as settings_store
from chalicelib.storage.portal import source_throttles
from chalicelib.storage.portal import users as user_store
from chalicelib.storage.portal.sessions import PortalSessionModel, portal_sessions
from tests.portal.helpers import PASSWORD, make_partner, make_user

SOURCE = "198.51.100.7"


@pytest.fixture(params=["aws", "ddb"])
def store(request: pytest.FixtureRequest) -> Any:
    if request.param == "ddb":
        request.applymarker(pytest.mark.ddblocal)
    return request.getfixturevalue(request.param)


def _sessions_of(user_id: str) -> list[str]:
    return [m.session_key for m in PortalSessionModel.by_user.query(user_id)]


def _require_hub(company_id: str, *exceptions: str) -> None:
    settings_store.link_company(company_id, issuer="https://hub.example", hub_company_id="h1",
                                hub_company_name="Hub Co", now=_now(), actor="test")
    settings_store.set_options(company_id, now=_now(), actor="test", require_hub_login=True)
    for user_id in exceptions:
        settings_store.add_exception(company_id, user_id, now=_now(), actor="test")


def _now() -> dt.datetime:
    return runtime.current().clock.now()


def test_a_login_writes_everything_in_one_call(store):
    partner = make_partner()
    admin = partner.admin  # a Security Admin: throttled per source
    source_throttles.take_attempt(admin.user_id, SOURCE, throttle.gate(_now()))
    previous, _ = sessions.start(store, admin)
    with tables.counting_calls() as calls:
        token, session = portal_login.log_in(store, admin.username, PASSWORD, SOURCE, previous)
    assert calls.calls["TransactWriteItems"] == 1 and calls.total == 3  # marker (it carries the
    # login fields), attempt
    assert _sessions_of(admin.user_id) == [session_key(token)]  # the previous one ended
    assert source_throttles.failures_from(admin.user_id, SOURCE) == 0
    assert user_store.get_user(admin.user_id).last_login_at == session.created_at


def test_a_login_by_email_costs_three_calls(store):
    partner = make_partner()
    tech = make_user(partner.company, role=TECHNICIAN)
    with tables.counting_calls() as calls:
        portal_login.log_in(store, tech.email, PASSWORD, SOURCE)
    assert dict(calls.calls) == {"Query": 1, "UpdateItem": 1, "TransactWriteItems": 1}


def test_required_hub_login_refuses_and_writes_nothing(store):
    partner = make_partner()
    tech = make_user(partner.company, role=TECHNICIAN)
    with pytest.raises(LoginFailed):
        portal_login.log_in(store, tech.username, "wrong-password-1", SOURCE)
    previous, _ = sessions.start(store, tech)
    _require_hub(partner.company.company_id)
    with pytest.raises(LoginFailed) as refused:
        portal_login.log_in(store, tech.username, PASSWORD, SOURCE, previous)
    assert refused.value.message == exemptions.MUST_USE_HUB
    assert _sessions_of(tech.user_id) == [session_key(previous)]  # not even the old one ended
    assert user_store.get_user(tech.user_id).failures == 2  # nothing reset either


def test_an_exception_user_and_an_admin_log_in_while_required(store):
    partner = make_partner()
    tech = make_user(partner.company, role=TECHNICIAN)
    _require_hub(partner.company.company_id, tech.user_id)
    for user in (tech, partner.admin):
        token, _ = portal_login.log_in(store, user.username, PASSWORD, SOURCE)
        assert session_key(token) in _sessions_of(user.user_id)


def test_a_company_that_never_saved_settings_lets_users_log_in(store):
    partner = make_partner()
    tech = make_user(partner.company, role=TECHNICIAN)
    assert settings_store.get_settings(partner.company.company_id).updated_at is None
    token, _ = portal_login.log_in(store, tech.username, PASSWORD, SOURCE)
    assert portal_sessions.get_session(session_key(token)) is not None
