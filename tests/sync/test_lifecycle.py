"""Schedules, the manual-sync lock, queued syncs, the lease and the queue worker."""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from chalicelib import runtime
from chalicelib.errors import TooManyRequests
from chalicelib.itdocs.directory import ItDocsDirectory
from chalicelib.storage.itdocs import sync_checkpoints as store
from chalicelib.sync import card, integrations, schedule, scheduled
from tests.fakes import build_for_tests, use_transport
from tests.sync.helpers import FailingTransport, connected, serve_portal


def test_the_six_hour_boundary_of_manual_sync(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    started = frozen_time.now()
    integrations.start_manual_sync(aws, setup.admin, iid)

    frozen_time.set(started + dt.timedelta(hours=6, seconds=-1))
    with pytest.raises(TooManyRequests) as refused:
        integrations.start_manual_sync(aws, setup.admin, iid)
    assert refused.value.retry_after == 1
    assert "2026-01-05 15:00 UTC" in refused.value.message
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.manual_sync_available_at == started + dt.timedelta(hours=6)

    frozen_time.set(started + dt.timedelta(hours=6))
    again = integrations.start_manual_sync(aws, setup.admin, iid)
    assert again.status == "OK"
    assert [log.trigger for log in integrations.sync_logs(aws, setup.admin, iid)] == [
        "manual", "manual"]


@pytest.mark.ddblocal
def test_fifty_concurrent_manual_sync_requests_start_exactly_one_sync(ddb):
    setup = connected(ddb)
    iid = setup.integration.integration_id

    def ask(_: int) -> str:
        runtime.install(ddb)
        try:
            integrations.start_manual_sync(ddb, setup.admin, iid)
        except TooManyRequests as exc:
            assert exc.retry_after > 0
            return "refused"
        return "started"

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(ask, range(50)))

    assert answers.count("started") == 1
    assert answers.count("refused") == 49
    logs = integrations.sync_logs(ddb, setup.admin, iid)
    assert len(logs) == 1 and logs[0].outcome == "OK"


def test_a_queued_sync_runs_one_hour_after_a_change_and_not_before(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    scheduled.tick(aws)  # the first automatic sync, due as soon as sync is turned on
    changed_at = frozen_time.now()

    when = schedule.queue_sync(aws, iid, reason="matching changed")
    assert when == changed_at + dt.timedelta(hours=1)
    frozen_time.advance(minutes=20)
    assert schedule.queue_sync(aws, iid, reason="another change") == when  # sooner one kept
    assert integrations.get(aws, setup.admin, iid).status == "Queued"

    frozen_time.set(changed_at + dt.timedelta(minutes=59, seconds=59))
    assert scheduled.tick(aws) == []
    frozen_time.set(changed_at + dt.timedelta(hours=1))
    (claim,) = scheduled.tick(aws)

    assert claim.trigger == "queued"
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.status == "OK" and shown.queued_sync_at is None
    assert [log.trigger for log in integrations.sync_logs(aws, setup.admin, iid)] == [
        "queued", "automatic"]


def test_automatic_syncs_come_every_24_hours_from_connection(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    connected_at = frozen_time.now()
    assert [c.trigger for c in scheduled.tick(aws)] == ["automatic"]
    assert integrations.get(aws, setup.admin, iid).next_sync_at == (
        connected_at + dt.timedelta(hours=24))

    frozen_time.advance(hours=23, minutes=59)
    assert scheduled.tick(aws) == []
    frozen_time.advance(minutes=1)
    assert [c.trigger for c in scheduled.tick(aws)] == ["automatic"]
    assert len(integrations.sync_logs(aws, setup.admin, iid)) == 2


def test_a_worker_killed_mid_sync_leaves_the_card_intact_and_the_lease_expires(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    integrations.start_manual_sync(aws, setup.admin, iid)
    org_id = next(iter(setup.organization_ids.values()))
    before = card.saas_card(aws, setup.admin, org_id)
    frozen_time.advance(hours=6)
    second = setup.partner.customers[1].saas_customer_id
    use_transport(aws, FailingTransport(
        setup.transport, f"/saas/{second}/seats", RuntimeError("worker killed")))

    shown = integrations.start_manual_sync(aws, setup.admin, iid)

    assert shown.status == "Syncing..."
    assert card.saas_card(aws, setup.admin, org_id) == before
    frozen_time.advance(minutes=15)
    shown = integrations.get(aws, setup.admin, iid)
    assert shown.status == "Error"
    assert "stopped before it finished" in shown.status_reason

    use_transport(aws, setup.transport)
    (claim,) = scheduled.tick(aws)  # the run resumes from its checkpoint
    assert claim.trigger == "manual"
    assert integrations.get(aws, setup.admin, iid).status == "OK"
    assert card.saas_card(aws, setup.admin, org_id) is not None
    # connect, the first sync and the killed run read the customer list; the resumed run did not
    assert sum(1 for _, p in setup.transport.requests if "/saas/domains" in p) == 3
    newest = integrations.sync_logs(aws, setup.admin, iid)[0]
    assert newest.seats_seen == sum(len(s) for s in setup.partner.seats.values())


def test_a_redelivered_sqs_message_does_no_harm(aws, frozen_time):
    setup = connected(aws)
    iid = setup.integration.integration_id
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="linkhub-sync-test")["QueueUrl"]
    queued_rt = runtime.install(build_for_tests(
        aws.settings.with_overrides(sync_queue_url=url), clock=frozen_time))
    serve_portal(queued_rt)

    (claim,) = scheduled.tick(queued_rt)
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    assert json.loads(messages[0]["Body"])["integration_id"] == iid
    assert integrations.get(queued_rt, setup.admin, iid).status == "Syncing..."

    directory = ItDocsDirectory(queued_rt)
    first = scheduled.handle_message(queued_rt, messages[0]["Body"], directory=directory)
    again = scheduled.handle_message(queued_rt, messages[0]["Body"], directory=directory)

    assert (first.state, again.state) == ("done", "stale")
    logs = integrations.sync_logs(queued_rt, setup.admin, iid)
    assert len(logs) == 1 and logs[0].outcome == "OK"
    assert store.get_checkpoint(iid) is None
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
