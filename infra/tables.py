"""DynamoDB tables in CloudFormation, generated from the PynamoDB models (one source of truth)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pynamodb.models import Model

from chalicelib.storage import tables as storage_tables

_KEY_ORDER = {"HASH": 0, "RANGE": 1}


def logical_id(model: type[Model]) -> str:
    """CloudFormation resource name of a model's table: hub_users -> TableHubUsers."""
    words = model.Meta.logical_name.split("_")  # type: ignore[attr-defined]
    return "Table" + "".join(word.capitalize() for word in words)


def physical_name(model: type[Model], prefix: str) -> str:
    return prefix + model.Meta.logical_name  # type: ignore[attr-defined,no-any-return]


def models() -> list[type[Model]]:
    """Every model with a table, in a stable order (by logical table name)."""
    return sorted(storage_tables.all_models(), key=lambda m: m.Meta.logical_name)  # type: ignore[attr-defined]


def _key_schema(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    ordered = sorted(entries, key=lambda entry: _KEY_ORDER[entry["KeyType"]])
    return [{"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in ordered]


def _projection(raw: dict[str, Any]) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": raw["ProjectionType"]}
    if raw.get("NonKeyAttributes"):
        projection["NonKeyAttributes"] = sorted(raw["NonKeyAttributes"])
    return projection


def _indexes(raw: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "IndexName": index["index_name"],
            "KeySchema": _key_schema(index["key_schema"]),
            "Projection": _projection(index["projection"]),
        }
        for index in sorted(raw, key=lambda index: index["index_name"])
    ]


def table_resource(model: type[Model], prefix: str) -> dict[str, Any]:
    """One model's AWS::DynamoDB::Table: keys, indexes, on-demand, PITR, TTL, kept on delete."""
    schema = model._get_schema()
    definitions = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    for index in schema["global_secondary_indexes"] + schema["local_secondary_indexes"]:
        for definition in index["attribute_definitions"]:
            definitions[definition["AttributeName"]] = definition["AttributeType"]
    properties: dict[str, Any] = {
        "TableName": physical_name(model, prefix),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": definitions[name]}
            for name in sorted(definitions)
        ],
        "KeySchema": _key_schema(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "DeletionProtectionEnabled": True,
    }
    if schema["global_secondary_indexes"]:
        properties["GlobalSecondaryIndexes"] = _indexes(schema["global_secondary_indexes"])
    if schema["local_secondary_indexes"]:
        properties["LocalSecondaryIndexes"] = _indexes(schema["local_secondary_indexes"])
    ttl = getattr(model.Meta, "ttl_attribute", None)
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def index_names(model: type[Model]) -> list[str]:
    """Names of a model's secondary indexes (global and local)."""
    schema = model._get_schema()
    found = schema["global_secondary_indexes"] + schema["local_secondary_indexes"]
    return sorted(index["index_name"] for index in found)
