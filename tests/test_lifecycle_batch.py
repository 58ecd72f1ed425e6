"""Poison lifecycle messages: one bad record never holds back the deactivations beside it."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from chalice.test import Client

from app import app
from chalicelib import runtime
from chalicelib.auth import lifecycle_events as events
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.settings import LIFECYCLE_QUEUE_NAME
from tests.portal.helpers import make_user
from tests.portal.test_deprovisioning import hub_member, linked_partner, status_of
from tests.web_client import WebClient
from workers.lifecycle import LifecycleMessagesFailed


def _deactivated(hub_company_id: str, subject: str, event_id: str) -> events.LifecycleEvent:
    rt = runtime.current()
    return events.LifecycleEvent(event_id=event_id, kind=events.USER_DEACTIVATED,
                                 issuer=rt.settings.hub_issuer, hub_company_id=hub_company_id,
                                 subject=subject, at=rt.clock.now())


def test_a_malformed_message_and_an_extra_field_do_not_hold_back_the_batch(client: WebClient):
    _a_poison_batch_applies_every_good_message()


@pytest.mark.ddblocal
def test_on_dynamodb_local_a_poison_batch_with_a_repeat_applies_every_good_message(ddb_client):
    _a_poison_batch_applies_every_good_message(repeat=True)


def _a_poison_batch_applies_every_good_message(repeat: bool = False) -> None:
    linked = linked_partner()
    techs = [make_user(linked.company, role=TECHNICIAN) for _ in range(3)]
    hub_users = [hub_member(linked, tech, username=f"tech{n}") for n, tech in enumerate(techs)]
    hub_company = linked.master.company.company_id
    bodies = [_deactivated(hub_company, u.user_id, f"e{n}").to_json()
              for n, u in enumerate(hub_users)]
    newer = json.loads(bodies[1])
    newer["traceId"] = "from-a-newer-publisher"  # a field this version does not know
    batch = ['{"event_id": "broken", "kind": "user.deactivated"', json.dumps(newer),
             bodies[0], bodies[2]] + ([bodies[0]] if repeat else [])  # a redelivered copy

    with Client(app) as lambda_client:
        sqs_event = lambda_client.events.generate_sqs_event(message_bodies=batch,
                                                             queue_name=LIFECYCLE_QUEUE_NAME)
        with pytest.raises(LifecycleMessagesFailed, match="1 lifecycle messages failed"):
            lambda_client.lambda_.invoke("lifecycle_events", sqs_event)

    assert [status_of(tech) for tech in techs] == ["deactivated"] * 3


def test_the_parser_ignores_unknown_fields_and_refuses_a_body_without_the_known_ones():
    event = events.LifecycleEvent(event_id="p1", kind=events.USER_DELETED, issuer="https://hub",
                                  hub_company_id="c1", subject="u1",
                                  at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    newer = json.loads(event.to_json()) | {"schemaVersion": 2, "traceId": "t-1"}

    assert events.LifecycleEvent.from_json(json.dumps(newer)) == event
    for body in ('{"event_id": "x"}', "[]", '"text"', '{"event_id": "x", "at": 5}'):
        with pytest.raises(ValueError):
            events.LifecycleEvent.from_json(body)


def test_the_lifecycle_queue_hands_one_message_to_each_invocation():
    (source,) = [s for s in app.event_sources if getattr(s, "queue", None) == LIFECYCLE_QUEUE_NAME]
    assert source.batch_size == 1

