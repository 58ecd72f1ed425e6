"""Duplicate lifecycle events handled at once reach IT Docs on DynamoDB Local: the status changes
once (conditional on the status read; the copy that loses reads again and finds it done), no error
reaches the queue, and the IT Docs audit log has one entry per change."""

from __future__ import annotations

import datetime as dt
import functools
import uuid

import pytest

from chalicelib.auth import lifecycle_events as events
from chalicelib.itdocs import sessions
from chalicelib.itdocs.policy import EDITOR
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import users as store
from chalicelib.storage.itdocs.audit import itdocs_audit
from chalicelib.storage.itdocs.users import User
from tests.itdocs.helpers import make_account, make_user
from tests.racing import at_once
from workers.lifecycle import deliver_lifecycle_message

pytestmark = pytest.mark.ddblocal

COPIES = 8


def linked_user(rt: Runtime) -> tuple[User, str, str]:
    """An Editor linked to a hub identity, in an account linked to that hub company."""
    hub_company_id, subject = f"hubco-{uuid.uuid4().hex}", f"hub-user-{uuid.uuid4().hex}"
    account = make_account(hub_issuer=rt.settings.hub_issuer, hub_company_id=hub_company_id,
                           hub_company_name="Hub Co")
    user = make_user(account, EDITOR)
    store.link_identity(user.user_id, rt.settings.hub_issuer, subject)
    return user, hub_company_id, subject


def message(rt: Runtime, kind: str, hub_company_id: str, subject: str) -> str:
    return events.LifecycleEvent(
        event_id=f"e-{uuid.uuid4().hex}", kind=kind, issuer=rt.settings.hub_issuer,
        hub_company_id=hub_company_id, subject=subject,
        at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)).to_json()


def deliver_at_once(messages: list[str]) -> list[BaseException]:
    """Each message from its own thread, all released together."""
    return at_once([functools.partial(deliver_lifecycle_message, body) for body in messages])


def status_entries(user: User) -> list[str]:
    return [e.action for e in itdocs_audit.audit_of(user.account_id)
            if e.action.startswith("user.") and e.detail == user.email
            and e.action != "user.created"]


def test_duplicate_deactivations_at_once_deactivate_once(ddb: Runtime) -> None:
    user, hub_company_id, subject = linked_user(ddb)
    sessions.start(ddb, user)
    body = message(ddb, events.USER_DEACTIVATED, hub_company_id, subject)

    assert deliver_at_once([body] * COPIES) == []

    assert store.get_user(user.user_id).status == "deactivated"
    assert sessions.end_all_for_user(user.user_id) == 0
    assert status_entries(user) == ["user.deactivated"]


def test_deactivations_and_deletions_racing_end_deleted_each_audited_at_most_once(
    ddb: Runtime,
) -> None:
    user, hub_company_id, subject = linked_user(ddb)
    deactivate = message(ddb, events.USER_DEACTIVATED, hub_company_id, subject)
    delete = message(ddb, events.USER_DELETED, hub_company_id, subject)

    assert deliver_at_once([deactivate, delete] * (COPIES // 2)) == []

    assert store.get_user(user.user_id).status == "deleted"
    audited = status_entries(user)
    assert audited.count("user.deleted") == 1 and audited.count("user.deactivated") <= 1
