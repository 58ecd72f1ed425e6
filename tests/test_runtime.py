"""The container: ports from settings or given as fakes, per-runtime caches, the two queues."""

from __future__ import annotations

import dataclasses

import boto3
import pytest

from chalicelib import queues, runtime
from chalicelib.auth import lifecycle_events
from chalicelib.auth.hub import events
from chalicelib.clock import FrozenClock
from chalicelib.outbound import UrllibTransport
from chalicelib.queues import InlineQueue, QueueNotWired, Queues, SqsQueue


class Recorded:
    """A queue that keeps what it was sent."""

    def __init__(self) -> None:
        self.bodies: list[str] = []

    def send(self, body: str) -> None:
        self.bodies.append(body)


def test_every_port_is_built_from_settings_alone(aws):
    rt = runtime.build(aws.settings)
    assert isinstance(rt.transport, UrllibTransport)
    assert rt.queues.lifecycle is queues.LIFECYCLE_INLINE and rt.queues.sync is queues.SYNC_INLINE
    token = rt.signer.sign("test", {"n": 1}, 60)
    assert rt.signer.unsign("test", token) == {"n": 1}
    assert rt.box.decrypt(rt.box.encrypt(b"secret", "ctx"), "ctx") == b"secret"
    assert len(rt.random.new_id()) == 32 and rt.random.new_id() != rt.random.new_id()


def test_a_runtime_is_frozen_and_a_fake_goes_in_by_building_or_replacing(aws):
    clock, waits = FrozenClock(), []
    rt = runtime.build(aws.settings, clock=clock, sleep=waits.append)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rt.clock = FrozenClock()  # type: ignore[misc]
    rt.sleep(3)
    assert rt.clock is clock and waits == [3]
    quiet = dataclasses.replace(rt, sleep=lambda seconds: None)
    quiet.sleep(5)
    assert waits == [3] and quiet.clock is clock


def test_a_cache_is_built_once_per_runtime_and_a_new_runtime_starts_cold(aws):
    built: list[runtime.Runtime] = []

    class Directory:
        def __init__(self, rt: runtime.Runtime) -> None:
            built.append(rt)

    first = aws.cache(Directory, Directory)
    assert aws.cache(Directory, Directory) is first and built == [aws]
    other = dataclasses.replace(aws)
    assert other.cache(Directory, Directory) is not first and built == [aws, other]


def test_a_configured_queue_url_sends_to_sqs(aws):
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="linkhub-lifecycle-test")["QueueUrl"]
    rt = runtime.build(aws.settings.with_overrides(lifecycle_queue_url=url))
    assert isinstance(rt.queues.lifecycle, SqsQueue) and rt.queues.sync is queues.SYNC_INLINE
    rt.queues.lifecycle.send('{"hello": 1}')
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == '{"hello": 1}'


def test_an_inline_queue_hands_the_body_to_its_consumer_and_contains_its_failure():
    queue, got = InlineQueue("test-queue"), []
    with pytest.raises(QueueNotWired):
        queue.send("lost")
    queue.consume_with(got.append)
    queue.send("one")
    assert got == ["one"]

    def broken(body: str) -> None:
        raise RuntimeError("consumer died")

    queue.consume_with(broken)
    queue.send("two")  # the sender never sees the consumer's failure, as with SQS
    queue.consume_with(got.append)
    queue.send("three")
    assert got == ["one", "three"]


def test_a_published_lifecycle_event_reaches_subscribers_through_the_queue_consumer(aws):
    heard: list[lifecycle_events.LifecycleEvent] = []
    lifecycle_events.subscribe(heard.append)
    try:
        event = lifecycle_events.LifecycleEvent(
            event_id="e1", kind="session.ended", issuer=aws.settings.hub_issuer,
            hub_company_id="c1", subject="u1", at=aws.clock.now(), detail={"sid": "s1"})
        events.publish(aws, event)
        recorded = Recorded()
        events.publish(dataclasses.replace(aws, queues=Queues(recorded, recorded)), event)
    finally:
        lifecycle_events.unsubscribe(heard.append)
    assert heard == [event]
    assert [lifecycle_events.LifecycleEvent.from_json(b) for b in recorded.bodies] == [event]
