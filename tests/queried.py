"""Which tables the DynamoDB Queries made while a block runs ask (botocore's hooks: moto, or the
models on DynamoDB Local), for tests asserting that something was not read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chalicelib.storage import tables


@contextmanager
def tables_queried() -> Iterator[list[str]]:
    """The table of every DynamoDB Query made meanwhile (IT Docs' and the portal's API's)."""
    names: list[str] = []

    def on_query(params: dict, **_: object) -> None:
        names.append(params["TableName"])

    client = tables.connection().client
    client.meta.events.register("before-parameter-build.dynamodb.Query", on_query)
    try:
        yield names
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Query", on_query)
