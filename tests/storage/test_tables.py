"""create_tables: TTL on for every expiring table, or left off for frozen-clock test stacks."""

from __future__ import annotations

from moto import mock_aws

from chalicelib.settings import from_environment
from chalicelib.storage import tables


def _ttl_statuses(prefix: str, expire_items: bool) -> dict[str, str]:
    tables.configure(from_environment().with_overrides(table_prefix=prefix, dynamodb_endpoint=""))
    tables.create_tables(wait=False, expire_items=expire_items)
    expiring = [m for m in tables.all_models() if getattr(m.Meta, "ttl_attribute", None)]
    client = expiring[0]._get_connection().connection.client
    return {
        m.Meta.table_name: client.describe_time_to_live(TableName=m.Meta.table_name)[
            "TimeToLiveDescription"]["TimeToLiveStatus"]
        for m in expiring
    }


def test_expiring_tables_get_ttl_unless_told_not_to():
    with mock_aws():
        on = _ttl_statuses("ttl-on-", expire_items=True)
        off = _ttl_statuses("ttl-off-", expire_items=False)
    assert on and set(on.values()) == {"ENABLED"}
    assert set(off.values()) == {"DISABLED"}
