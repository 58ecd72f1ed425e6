"""Deletion test helpers: a Match To that meets a deletion at the worst moment, made
deterministic, and a throttled table for the removal worker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from chalicelib.itdocs import organization_deletion
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.organizations import Organization
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant


class DeletesWhileMatching:
    """The acting user of a Match To that, the moment it has looked the organization up, sees the
    organization deleted by an Administrator: the worst interleaving, made deterministic."""

    def __init__(self, rt: Runtime, tenant: Tenant) -> None:
        self._inner = as_user(rt, tenant.manager)
        self._rt, self._admin = rt, ItDocsUser.of(tenant.admin)
        self.account_id, self.name = self._inner.account_id, self._inner.name
        self.require = self._inner.require
        self.organizations = self._inner.organizations
        self.create_organization = self._inner.create_organization
        self.integration_read = self._inner.integration_read
        self.customer_read = self._inner.customer_read

    def organization(self, organization_id: str) -> Organization:
        found = self._inner.organization(organization_id)
        organization_deletion.delete(self._rt, self._admin, organization_id)
        return found


@dataclass
class Throttle:
    """Answers the first `times` calls of `operation` naming `table` (None: every one) as a
    throttled DynamoDB does: a transaction cancelled with ThrottlingError, any other call
    ProvisionedThroughputExceededException. Counts the calls it answered."""

    operation: str
    table: str
    times: int | None = None
    answered: int = 0

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if self.table.encode() not in params.get("body", b""):
            return None
        if self.times is not None and self.answered >= self.times:
            return None
        self.answered += 1
        if self.operation == "TransactWriteItems":
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
            parsed = {"Error": error, "ResponseMetadata": {},
                      "CancellationReasons": [{"Code": "ThrottlingError"}]}
        else:
            parsed = {"Error": {"Code": "ProvisionedThroughputExceededException",
                                "Message": "The level of configured throughput was exceeded"},
                      "ResponseMetadata": {}}
        return _Answer(400), parsed


@dataclass
class _Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def throttled(throttle: Throttle) -> Iterator[Throttle]:
    """`throttle` on the botocore client every model and transaction uses, while the block runs."""
    client = tables.connection().client
    event = f"before-call.dynamodb.{throttle.operation}"
    client.meta.events.register_first(event, throttle)
    try:
        yield throttle
    finally:
        client.meta.events.unregister(event, throttle)
