"""infra/resources.json: what `chalice package --merge-template` adds to Chalice's template.

Tables come from the models; the queues (each with a dead-letter queue and an alarm on it that
notifies the alarm topic), the KMS key, the signing secret, the SES configuration set and the log
groups are declared here; the functions Chalice generates get their name, their handler (each
scheduled and queue function runs its entry in workers/, which `make package` adds to the zip),
their environment (queue URLs, key, secret, base URL, the mail worker's configuration set) and the
sync worker's bounded SQS concurrency.
"""

from __future__ import annotations

from typing import Any

from chalice.utils import to_cfn_resource_name

from infra import functions as fn
from infra import policies
from infra import tables as infra_tables

APP = "linkhub"
STAGE = "prod"
LOG_RETENTION_DAYS = 30
MAX_RECEIVES = 5  # deliveries before a message moves to the dead-letter queue
# AWS's advice for SQS event sources: visibility timeout at least six times the function timeout.
VISIBILITY_FACTOR = 6
SIGNING_SECRET = "SigningSecret"
ALARM_TOPIC = "AlarmTopic"  # subscribe operations to it (output AlarmTopicArn)
ACCOUNT_ROOT = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
ENV_FOR_SETTING = {
    "sync_queue_url": "LINKHUB_SYNC_QUEUE_URL",
    "lifecycle_queue_url": "LINKHUB_LIFECYCLE_QUEUE_URL",
    "mail_queue_url": "LINKHUB_MAIL_QUEUE_URL",
}


def function_name(function: fn.Function) -> str:
    """Deployed name, as `chalice deploy` would call it (the API handler is the app-stage name)."""
    if function.name == fn.API_HANDLER:
        return f"{APP}-{STAGE}"
    return f"{APP}-{STAGE}-{function.name}"


def cfn_function_id(function: fn.Function) -> str:
    return "APIHandler" if function.name == fn.API_HANDLER else to_cfn_resource_name(function.name)


def _queue_pair(name: str, consumer_timeout: int) -> dict[str, Any]:
    queue = policies.queue_id(name)
    dead = queue.removesuffix("Queue") + "DeadLetterQueue"
    return {
        dead: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": f"{name}-dlq",
                "MessageRetentionPeriod": 1209600,
                "SqsManagedSseEnabled": True,
            },
        },
        dead + "Alarm": _dead_letter_alarm(name, dead),
        queue: {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "QueueName": name,
                "VisibilityTimeout": consumer_timeout * VISIBILITY_FACTOR,
                "MessageRetentionPeriod": 345600,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": [dead, "Arn"]},
                    "maxReceiveCount": MAX_RECEIVES,
                },
            },
        },
    }


def _dead_letter_alarm(name: str, dead: str) -> dict[str, Any]:
    """In alarm as soon as any message waits in the dead-letter queue (checked every 5 minutes)."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": f"{name}-dlq-not-empty",
            "AlarmDescription": f"Messages of {name} failed {MAX_RECEIVES} times and wait in "
            f"{name}-dlq: read them, fix the cause, then redrive them.",
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dead, "QueueName"]}}],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": ALARM_TOPIC}],
            "OKActions": [{"Ref": ALARM_TOPIC}],
        },
    }


# API Gateway answers paths and methods it cannot route by itself (403 "Missing Authentication
# Token", whose message can repeat the Authorization header): answer 404 in the REST API's own
# error shape instead, with the request id and never the credentials.
GATEWAY_NOT_FOUND = "GatewayResponseMissingAuthenticationToken"


def _gateway_not_found() -> dict[str, Any]:
    body = '{"code":"not_found","message":"No such resource."}'
    return {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseParameters": {
                "gatewayresponse.header.X-Request-Id": "context.requestId",
                "gatewayresponse.header.Content-Type": "'application/json'",
            },
            "ResponseTemplates": {"application/json": body},
        },
    }


def _secrets() -> dict[str, Any]:
    return {
        policies.KMS_KEY: {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": "linkhub: secrets at rest (API keys, TOTP seeds, signing keys)",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministersKey",
                            "Effect": "Allow",
                            "Principal": {"AWS": {"Fn::Sub": ACCOUNT_ROOT}},
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
        "SecretsKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {
                "AliasName": f"alias/{APP}-{STAGE}",
                "TargetKeyId": {"Ref": policies.KMS_KEY},
            },
        },
        SIGNING_SECRET: {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Description": "linkhub: HMAC key for cookies, CSRF tokens and signed state",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
            },
        },
    }


def _function_overrides(function: fn.Function, queues: dict[str, str]) -> dict[str, Any]:
    # Every function gets the key id (without it the runtime would look for a local key file, which
    # Lambda does not have); only those whose code encrypts or decrypts may use the key.
    variables: dict[str, Any] = {
        "LINKHUB_BASE_URL": {"Ref": "BaseUrl"},
        "LINKHUB_SIGNING_SECRET": {
            "Fn::Sub": "{{resolve:secretsmanager:${" + SIGNING_SECRET + "}:SecretString}}"
        },
        "LINKHUB_KMS_KEY_ID": {"Fn::GetAtt": [policies.KMS_KEY, "Arn"]},
    }
    if policies.sends_mail(function):
        variables["LINKHUB_SES_CONFIGURATION_SET"] = {"Ref": policies.MAIL_CONFIGURATION_SET}
    for name in policies.sends_to(function, queues):
        variables[ENV_FOR_SETTING[queues[name]]] = {"Ref": policies.queue_id(name)}
    properties: dict[str, Any] = {
        "FunctionName": function_name(function),
        "Environment": {"Variables": variables},
    }
    if function.handler != fn.API_ENTRY:
        # Its own entry module (workers/), not app.py: a cold start loads only what it uses.
        properties["Handler"] = function.handler
    if function.queue and function.tuning.maximum_concurrency:
        event = to_cfn_resource_name(f"{function.name}-sqs-event-source")
        properties["Events"] = {
            event: {
                "Properties": {
                    "ScalingConfig": {"MaximumConcurrency": function.tuning.maximum_concurrency}
                }
            }
        }
    return {"DependsOn": [policies.log_group_id(function)], "Properties": properties}


def build(functions: list[fn.Function], table_prefix: str) -> dict[str, Any]:
    """The whole merge template."""
    queues = policies.queue_settings()
    consumers = {f.queue: f.tuning.timeout for f in functions if f.queue}
    resources: dict[str, Any] = {}
    for model in infra_tables.models():
        resources[infra_tables.logical_id(model)] = infra_tables.table_resource(model, table_prefix)
    resources[ALARM_TOPIC] = {
        "Type": "AWS::SNS::Topic",
        "Properties": {"TopicName": f"{APP}-{STAGE}-alarms"},
    }
    for name in queues:
        resources.update(_queue_pair(name, consumers.get(name, 900)))
    resources.update(_secrets())
    resources[policies.MAIL_CONFIGURATION_SET] = {
        "Type": "AWS::SES::ConfigurationSet",
        "Properties": {"Name": f"{APP}-{STAGE}"},
    }
    resources[GATEWAY_NOT_FOUND] = _gateway_not_found()
    for function in functions:
        resources[policies.log_group_id(function)] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{function_name(function)}",
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
        resources[cfn_function_id(function)] = _function_overrides(function, queues)
    outputs: dict[str, Any] = {
        policies.queue_id(name) + "Url": {"Value": {"Ref": policies.queue_id(name)}}
        for name in queues
    }
    outputs["AlarmTopicArn"] = {"Value": {"Ref": ALARM_TOPIC}}
    outputs["SecretsKeyArn"] = {"Value": {"Fn::GetAtt": [policies.KMS_KEY, "Arn"]}}
    return {
        "Parameters": {
            "BaseUrl": {
                "Type": "String",
                "Default": "https://linkhub.example.com",
                "Description": "Public https base URL (the OIDC issuer and redirect URIs)",
                "AllowedPattern": "^https://[^/]+$",
            },
            policies.MAIL_IDENTITY: {
                "Type": "String",
                "Default": "linkhub.example.com",
                "Description": "The SES-verified identity (domain or address) of "
                "LINKHUB_MAIL_SENDER; only the mail worker may send from it",
            },
        },
        "Resources": resources,
        "Outputs": outputs,
    }
