"""Mail in the infrastructure: a mail queue with its dead-letter queue and alarm, and SES in the
policy of the mail queue's consumer only, on the sender identity and the configuration set."""

from __future__ import annotations

import json

from chalicelib import settings
from infra import functions as fn
from infra import policies, template


def _statements(function: fn.Function) -> dict[str, dict[str, object]]:
    policy = policies.policy(function, policies.queue_settings())
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def test_only_the_mail_worker_may_send_mail_through_ses():
    functions = {function.name: function for function in fn.discover()}
    with_ses = {name for name, function in functions.items()
                if "ses:" in json.dumps(policies.policy(function, policies.queue_settings()))}
    assert with_ses == {"mail_worker"}
    send_mail = _statements(functions["mail_worker"])["SendMail"]
    assert send_mail["Action"] == ["ses:SendEmail"]
    assert "*" not in json.dumps(send_mail["Resource"])
    assert functions["mail_worker"].queue == settings.MAIL_QUEUE_NAME


def test_the_api_enqueues_mail_but_does_not_send_it():
    api = {function.name: function for function in fn.discover()}[fn.API_HANDLER]
    sends = _statements(api)["SendQueues"]["Resource"]
    assert {"Fn::GetAtt": ["MailQueue", "Arn"]} in sends  # type: ignore[operator]
    assert "SendMail" not in _statements(api)


def test_the_mail_queue_has_a_dead_letter_queue_an_alarm_and_the_worker_its_settings():
    functions = fn.discover()
    built = template.build(functions, "linkhub-prod-")
    resources = built["Resources"]
    queue = resources["MailQueue"]["Properties"]
    assert queue["QueueName"] == settings.MAIL_QUEUE_NAME
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["MailDeadLetterQueue", "Arn"]}
    assert resources["MailDeadLetterQueueAlarm"]["Properties"]["AlarmActions"] == [
        {"Ref": template.ALARM_TOPIC}]
    worker = resources["MailWorker"]["Properties"]["Environment"]["Variables"]
    assert worker["LINKHUB_SES_CONFIGURATION_SET"] == {"Ref": policies.MAIL_CONFIGURATION_SET}
    api = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["LINKHUB_MAIL_QUEUE_URL"] == {"Ref": "MailQueue"}
    assert "LINKHUB_SES_CONFIGURATION_SET" not in api
