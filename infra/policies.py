"""Least-privilege IAM policies, one per Lambda function, for the packaged template.

A function may use only the tables (and their indexes) of the storage modules its code reaches, the
queues it sends to or receives from, the KMS key when its code encrypts or decrypts, and its own log
group; only the mail queue's consumer may send mail through SES (the sender identity and the
configuration set). Every resource is a named ARN (CloudFormation intrinsics resolve them); none is
"*". There is no dynamodb:Scan and no table management action: the app only
reads and writes items.
"""

from __future__ import annotations

import importlib
from typing import Any

from pynamodb.models import Model

from infra import functions as fn
from infra import tables as infra_tables

ITEM_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]
INDEX_ACTIONS = ["dynamodb:Query"]
RECEIVE_ACTIONS = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
]
KMS_ACTIONS = ["kms:Decrypt", "kms:Encrypt"]
# SES v2 SendEmail is authorised on the sender identity and the configuration set it names.
SES_ACTIONS = ["ses:SendEmail"]
MAIL_IDENTITY = "MailIdentity"  # template parameter: the SES-verified domain or address
MAIL_CONFIGURATION_SET = "MailConfigurationSet"
SES_RESOURCES = [
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/${" + MAIL_IDENTITY + "}",
    "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:configuration-set/${"
    + MAIL_CONFIGURATION_SET + "}",
]
KMS_KEY = "SecretsKey"
# Code that encrypts or decrypts secrets through the runtime's secret box.
KMS_MARKERS = ("box.encrypt", "box.decrypt")


def queue_id(queue_name: str) -> str:
    """CloudFormation name of a queue: linkhub-sync -> SyncQueue."""
    words = queue_name.removeprefix("linkhub-").split("-")
    return "".join(word.capitalize() for word in words) + "Queue"


def log_group_id(function: fn.Function) -> str:
    return "".join(word.capitalize() for word in function.name.split("_")) + "LogGroup"


def models_of(function: fn.Function) -> list[type[Model]]:
    """The models (tables) of the storage modules a function reaches."""
    modules = set(fn.storage_modules(function))
    return [model for model in infra_tables.models() if model.__module__ in modules]


def sends_to(function: fn.Function, queues: dict[str, str]) -> list[str]:
    """Queue names the function's code sends to through the runtime (`rt.queues.sync.send`).

    The runtime reads every queue URL setting, so the send through each queue's port is the mark.
    """
    return [name for name, setting in queues.items()
            if fn.source_mentions(function, f"queues.{setting.removesuffix('_queue_url')}.send")]


def sends_mail(function: fn.Function) -> bool:
    """Only the mail queue's consumer sends mail (SES); every other function only enqueues it."""
    settings = importlib.import_module("chalicelib.settings")
    return function.queue == settings.MAIL_QUEUE_NAME


def uses_kms(function: fn.Function) -> bool:
    return any(fn.source_mentions(function, marker) for marker in KMS_MARKERS)


def _arn(resource: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [resource, "Arn"]}


def policy(function: fn.Function, queues: dict[str, str]) -> dict[str, Any]:
    """The IAM policy document of one function (`queues`: queue name -> its URL setting)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "OwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [_arn(log_group_id(function))],
        }
    ]
    models = models_of(function)
    if models:
        statements.append(
            {
                "Sid": "Tables",
                "Effect": "Allow",
                "Action": ITEM_ACTIONS,
                "Resource": [_arn(infra_tables.logical_id(model)) for model in models],
            }
        )
        indexes = [
            {"Fn::Sub": "${" + infra_tables.logical_id(model) + ".Arn}/index/" + index}
            for model in models
            for index in infra_tables.index_names(model)
        ]
        if indexes:
            statements.append(
                {"Sid": "Indexes", "Effect": "Allow", "Action": INDEX_ACTIONS, "Resource": indexes}
            )
    sending = sends_to(function, queues)
    if sending:
        statements.append(
            {
                "Sid": "SendQueues",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [_arn(queue_id(name)) for name in sending],
            }
        )
    if function.queue:
        statements.append(
            {
                "Sid": "ReceiveQueue",
                "Effect": "Allow",
                "Action": RECEIVE_ACTIONS,
                "Resource": [_arn(queue_id(function.queue))],
            }
        )
    if sends_mail(function):
        statements.append(
            {
                "Sid": "SendMail",
                "Effect": "Allow",
                "Action": SES_ACTIONS,
                "Resource": [{"Fn::Sub": arn} for arn in SES_RESOURCES],
            }
        )
    if uses_kms(function):
        statements.append(
            {
                "Sid": "SecretsKey",
                "Effect": "Allow",
                "Action": KMS_ACTIONS,
                "Resource": [_arn(KMS_KEY)],
                "Condition": {"Null": {"kms:EncryptionContext:linkhub": "false"}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def queue_settings() -> dict[str, str]:
    """Queue name -> the Settings field holding its URL (names come from chalicelib.settings)."""
    settings = importlib.import_module("chalicelib.settings")
    return {
        settings.SYNC_QUEUE_NAME: "sync_queue_url",
        settings.LIFECYCLE_QUEUE_NAME: "lifecycle_queue_url",
        settings.MAIL_QUEUE_NAME: "mail_queue_url",
    }
