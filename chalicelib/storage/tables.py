"""Table configuration and creation for every PynamoDB model in chalicelib.storage.

Each context's modules declare models with `Meta.logical_name`; `configure()` points them all at one
endpoint and table prefix, and `create_tables()` creates whatever is missing (idempotent).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from pynamodb.connection import Connection
from pynamodb.models import Model

from chalicelib.settings import Settings
from chalicelib.storage import dynamodb_wire

_models: list[type[Model]] | None = None
_lock = threading.Lock()


def all_models() -> list[type[Model]]:
    """Every table model declared in chalicelib.storage and its context packages (imported once,
    in module name order); the kit's abstract models have no table and are left out."""
    global _models
    with _lock:
        if _models is None:
            import chalicelib.storage as package

            found: list[type[Model]] = []
            names = sorted(info.name for info in pkgutil.walk_packages(
                package.__path__, f"{package.__name__}."))
            for name in names:
                found.extend(_table_models(importlib.import_module(name)))
            _models = found
    return _models


def _table_models(module: ModuleType) -> list[type[Model]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Model)
        and value.__module__ == module.__name__
        and hasattr(getattr(value, "Meta", None), "logical_name")
    ]


_connection: Connection | None = None


def configure(settings: Settings) -> None:
    """Point every model at the configured endpoint, region and table prefix.

    All models share one Connection (one botocore client): cheaper to build, and every call, a
    transaction's included, passes through the same client's event hooks.
    """
    global _connection
    shared = Connection(region=settings.region, host=settings.dynamodb_endpoint or None)
    for model in all_models():
        meta = model.Meta
        meta.table_name = settings.table_prefix + meta.logical_name  # type: ignore[attr-defined]
        meta.host = settings.dynamodb_endpoint or None
        meta.region = settings.region
        meta.billing_mode = "PAY_PER_REQUEST"
        model._connection = None
        table_connection = model._get_connection()
        shared.add_meta_table(table_connection.get_meta_table())
        table_connection.connection = shared
    _connection = shared


def connection() -> Connection:
    """The connection transactions run on (same endpoint as the models)."""
    if _connection is None:
        raise RuntimeError("storage is not configured")
    return _connection


def create_tables(wait: bool = True, expire_items: bool = True) -> list[str]:
    """Create the missing tables (and their TTL settings); returns the names created.

    `expire_items=False` leaves TTL off: for tests on a frozen clock set in the past, whose records'
    expiry times DynamoDB would otherwise act on at random moments (the code checks expiry itself).
    """
    created = []
    for model in all_models():
        if model.exists():
            _add_missing_indexes(model, wait)
        else:
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=wait)
            created.append(model.Meta.table_name)
            ttl = getattr(model.Meta, "ttl_attribute", None)
            if ttl and expire_items:
                _client(model).update_time_to_live(
                    TableName=model.Meta.table_name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl},
                )
    return created


def _add_missing_indexes(model: type[Model], wait: bool) -> None:
    """Create the model's global indexes that an older table lacks (one UpdateTable each)."""
    client = _client(model)
    name = model.Meta.table_name
    table = client.describe_table(TableName=name)["Table"]
    present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
    schema = model._get_schema()
    for index in schema["global_secondary_indexes"]:
        if index["index_name"] in present:
            continue
        client.update_table(
            TableName=name, AttributeDefinitions=index["attribute_definitions"],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": index["index_name"],
                "KeySchema": sorted(index["key_schema"], key=lambda k: k["KeyType"] != "HASH"),
                "Projection": index["projection"]}}])
        if wait:
            _wait_for_indexes(client, name)


def _wait_for_indexes(client: Any, name: str, attempts: int = 600) -> None:
    """Until every global index of the table is ACTIVE (a new one is built from the items)."""
    for _ in range(attempts):
        table = client.describe_table(TableName=name)["Table"]
        if all(i.get("IndexStatus") == "ACTIVE" for i in table.get("GlobalSecondaryIndexes", [])):
            return
        time.sleep(0.1)
    raise TimeoutError(f"the indexes of {name} are still being built")


def delete_tables() -> None:
    for model in all_models():
        if model.exists():
            model.delete_table()


def _client(model: type[Model]) -> Any:
    return model._get_connection().connection.client


class CallCounter:
    """Counts DynamoDB API calls by operation name (for benchmarks and call-budget tests)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()

    def _on_call(self, model: Any = None, **_: Any) -> None:
        self.calls[model.name] += 1

    def _on_wire_call(self, operation: str) -> None:
        self.calls[operation] += 1


@contextmanager
def counting_calls() -> Iterator[CallCounter]:
    """Count every DynamoDB call made while the block runs: through the models (botocore hooks)
    and on the lean transport of the hot paths (`dynamodb_wire.observers`)."""
    counter = CallCounter()
    clients = [connection().client]
    for client in clients:
        client.meta.events.register("before-call.dynamodb", counter._on_call)
    dynamodb_wire.observers.append(counter._on_wire_call)
    try:
        yield counter
    finally:
        dynamodb_wire.observers.remove(counter._on_wire_call)
        for client in clients:
            client.meta.events.unregister("before-call.dynamodb", counter._on_call)
