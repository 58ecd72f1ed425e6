"""The committed infrastructure agrees with the code: tables with models, policies with handlers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pynamodb.indexes import GlobalSecondaryIndex, LocalSecondaryIndex
from pynamodb.models import Model

from chalicelib import settings
from chalicelib.storage import tables
from infra import build

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = json.loads((ROOT / "infra/resources.json").read_text())["Resources"]
CONFIG = json.loads((ROOT / ".chalice/config.json").read_text())
PROD = CONFIG["stages"]["prod"]
PREFIX = PROD["environment_variables"]["LINKHUB_TABLE_PREFIX"]


def _tables_by_name() -> dict[str, dict[str, Any]]:
    return {
        r["Properties"]["TableName"]: r["Properties"]
        for r in RESOURCES.values()
        if r.get("Type") == "AWS::DynamoDB::Table"
    }


def _keys(attributes: dict[str, Any]) -> dict[str, str]:
    keys = {}
    for attribute in attributes.values():
        if attribute.is_hash_key:
            keys[attribute.attr_name] = "HASH"
        if attribute.is_range_key:
            keys[attribute.attr_name] = "RANGE"
    return keys


def _types(attributes: dict[str, Any]) -> dict[str, str]:
    keys = [a for a in attributes.values() if a.is_hash_key or a.is_range_key]
    return {a.attr_name: a.attr_type for a in keys}


def _policy(function: str) -> dict[str, Any]:
    name = PROD["lambda_functions"][function]["iam_policy_file"]
    return json.loads((ROOT / ".chalice" / name).read_text())


def _statement(function: str, sid: str) -> dict[str, Any] | None:
    found = [s for s in _policy(function)["Statement"] if s.get("Sid") == sid]
    return found[0] if found else None


def test_committed_files_are_what_the_code_generates() -> None:
    stale = build.stale_files()
    assert stale == [], f"regenerate with `python -m infra.build`: {stale}"


@pytest.mark.parametrize("model", tables.all_models(), ids=lambda m: m.Meta.logical_name)
def test_every_model_has_the_same_table_and_indexes_in_the_template(model: type[Model]) -> None:
    table = _tables_by_name().get(PREFIX + model.Meta.logical_name)
    assert table is not None, f"no table for {model.Meta.logical_name} in infra/resources.json"

    attributes = model.get_attributes()
    expected_keys = _keys(attributes)
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == expected_keys
    assert table["KeySchema"][0]["KeyType"] == "HASH"
    declared = {d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]}
    expected_types = _types(attributes)

    in_template = {
        i["IndexName"]: i
        for i in table.get("GlobalSecondaryIndexes", []) + table.get("LocalSecondaryIndexes", [])
    }
    assert set(in_template) == set(model._indexes)
    for name, index in model._indexes.items():
        kind = (
            "GlobalSecondaryIndexes"
            if isinstance(index, GlobalSecondaryIndex)
            else ("LocalSecondaryIndexes" if isinstance(index, LocalSecondaryIndex) else "?")
        )
        assert name in {i["IndexName"] for i in table.get(kind, [])}
        found = in_template[name]
        index_attributes = index.Meta.attributes
        assert {k["AttributeName"]: k["KeyType"] for k in found["KeySchema"]} == _keys(
            index_attributes
        )
        projection = index.Meta.projection
        assert found["Projection"]["ProjectionType"] == projection.projection_type
        assert sorted(found["Projection"].get("NonKeyAttributes", [])) == sorted(
            getattr(projection, "non_key_attributes", None) or []
        )
        expected_types.update(_types(index_attributes))
    assert declared == expected_types

    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    ttl = getattr(model.Meta, "ttl_attribute", None)
    if ttl:
        assert table["TimeToLiveSpecification"] == {"AttributeName": ttl, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in table


def test_the_template_has_no_table_without_a_model() -> None:
    modelled = {PREFIX + m.Meta.logical_name for m in tables.all_models()}
    assert set(_tables_by_name()) == modelled


def _resources_in(policy: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for statement in policy["Statement"]:
        value = statement["Resource"]
        found.extend(value if isinstance(value, list) else [value])
    return found


def test_no_function_policy_grants_any_wildcard_resource_or_a_scan() -> None:
    for function in PROD["lambda_functions"]:
        policy = _policy(function)
        for resource in _resources_in(policy):
            assert "*" not in json.dumps(resource), (function, resource)
        actions = [a for s in policy["Statement"] for a in s["Action"]]
        assert "dynamodb:Scan" not in actions
        assert not any(a.endswith("*") for a in actions), (function, actions)


def _tables_granted(function: str) -> set[str]:
    statement = _statement(function, "Tables") or {"Resource": []}
    return {r["Fn::GetAtt"][0] for r in statement["Resource"]}


def test_each_function_reaches_only_its_contexts_tables() -> None:
    every_table = {k for k, r in RESOURCES.items() if r.get("Type") == "AWS::DynamoDB::Table"}
    assert _tables_granted("api_handler") == every_table
    for worker in ("sync_tick", "sync_worker"):
        granted = _tables_granted(worker)
        assert "TableItdocsIntegrations" in granted
        assert not {t for t in granted if t.startswith(("TableHub", "TablePortal"))}
    lifecycle = _tables_granted("lifecycle_events")
    assert "TablePortalUsers" in lifecycle and "TablePortalSessions" in lifecycle
    assert "TableItdocsIntegrations" not in lifecycle


def test_queue_consumers_and_senders_are_the_functions_that_use_them() -> None:
    sync_queue = {"Fn::GetAtt": ["SyncQueue", "Arn"]}
    receive = _statement("sync_worker", "ReceiveQueue")
    assert receive is not None and receive["Resource"] == [sync_queue]
    for sender in ("sync_tick", "api_handler"):
        send = _statement(sender, "SendQueues")
        assert send is not None and sync_queue in send["Resource"], sender
    lifecycle = _statement("lifecycle_events", "ReceiveQueue")
    assert lifecycle is not None
    assert lifecycle["Resource"] == [{"Fn::GetAtt": ["LifecycleQueue", "Arn"]}]
    assert _statement("portal_tick", "ReceiveQueue") is None


def test_queues_have_dead_letter_queues_and_outlast_their_workers() -> None:
    names = {
        settings.SYNC_QUEUE_NAME: "sync_worker",
        settings.LIFECYCLE_QUEUE_NAME: "lifecycle_events",
        settings.MAIL_QUEUE_NAME: "mail_worker",
    }
    queues = {
        r["Properties"]["QueueName"]: r["Properties"]
        for r in RESOURCES.values()
        if r.get("Type") == "AWS::SQS::Queue"
    }
    for name, consumer in names.items():
        queue = queues[name]
        timeout = PROD["lambda_functions"][consumer]["lambda_timeout"]
        assert queue["VisibilityTimeout"] >= 6 * timeout
        dead_letter = queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert RESOURCES[dead_letter]["Properties"]["QueueName"] == f"{name}-dlq"
        assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1


def test_every_dead_letter_queue_has_an_alarm_that_notifies() -> None:
    dead_letters = {
        r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for r in RESOURCES.values()
        if r.get("Type") == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
    }
    alarms = [
        r["Properties"] for r in RESOURCES.values() if r.get("Type") == "AWS::CloudWatch::Alarm"
    ]
    watched = {
        alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for alarm in alarms
        if alarm["Namespace"] == "AWS/SQS"
        and alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        and alarm["Threshold"] == 1
        and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    }
    assert len(dead_letters) == 3 and dead_letters <= watched  # sync, lifecycle, mail
    for alarm in alarms:
        (action,) = alarm["AlarmActions"]
        assert RESOURCES[action["Ref"]]["Type"] == "AWS::SNS::Topic"


def test_sync_workers_run_with_bounded_concurrency() -> None:
    worker = PROD["lambda_functions"]["sync_worker"]
    events = RESOURCES["SyncWorker"]["Properties"]["Events"]
    scaling = events["SyncWorkerSqsEventSource"]["Properties"]["ScalingConfig"]
    assert 2 <= scaling["MaximumConcurrency"] <= worker["reserved_concurrency"]
    assert PROD["lambda_functions"]["sync_tick"]["reserved_concurrency"] == 1


def test_functions_that_handle_secrets_may_use_the_key_and_get_its_id() -> None:
    for function in ("api_handler", "sync_worker"):
        kms = _statement(function, "SecretsKey")
        assert kms is not None and set(kms["Action"]) == {"kms:Encrypt", "kms:Decrypt"}
        assert kms["Resource"] == [{"Fn::GetAtt": ["SecretsKey", "Arn"]}]
    env = RESOURCES["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["LINKHUB_KMS_KEY_ID"] == {"Fn::GetAtt": ["SecretsKey", "Arn"]}
    assert env["LINKHUB_SYNC_QUEUE_URL"] == {"Ref": "SyncQueue"}
    assert "LINKHUB_SIGNING_SECRET" in env


def _resolved_arn(resource: dict[str, Any]) -> str:
    """The ARN an intrinsic becomes in a long-named region (for sizing the deployed policy)."""
    account = "arn:aws:service:ap-southeast-2:123456789012:"
    if "Fn::Sub" in resource and resource["Fn::Sub"].startswith("arn:"):  # SES: a whole ARN
        return re.sub(r"\$\{[^}]+\}", "x" * 64, resource["Fn::Sub"])
    if "Fn::Sub" in resource:
        logical, _, rest = resource["Fn::Sub"].removeprefix("${").partition(".Arn}")
        return _resolved_arn({"Fn::GetAtt": [logical, "Arn"]}) + rest
    logical = resource["Fn::GetAtt"][0]
    properties = RESOURCES[logical].get("Properties", {})
    name = properties.get("TableName") or properties.get("QueueName")
    name = name or properties.get("LogGroupName") or "key/" + "0" * 36
    return f"{account}table/{name}:*"


def test_every_deployed_policy_fits_iams_inline_size_limit() -> None:
    for function in PROD["lambda_functions"]:
        policy = _policy(function)
        for statement in policy["Statement"]:
            statement["Resource"] = [_resolved_arn(r) for r in statement["Resource"]]
        size = len(json.dumps(policy, separators=(",", ":")))
        assert size < 10_240, (function, size)  # IAM's limit for a role's inline policies


def test_api_gateway_answers_an_unroutable_path_with_a_404_that_echoes_no_credentials() -> None:
    (response,) = [r["Properties"] for r in RESOURCES.values()
                   if r.get("Type") == "AWS::ApiGateway::GatewayResponse"]
    assert response["ResponseType"] == "MISSING_AUTHENTICATION_TOKEN"
    assert response["StatusCode"] == "404"
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert body == {"code": "not_found", "message": "No such resource."}
    assert "$" not in response["ResponseTemplates"]["application/json"]  # nothing of the request
    assert response["ResponseParameters"]["gatewayresponse.header.X-Request-Id"] == (
        "context.requestId")
