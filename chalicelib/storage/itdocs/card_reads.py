"""What an organization's SaaS Protection card reads once it knows the customers matched to it:
their synced summaries and their integrations, in one BatchGetItem per hundred items."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.storage.itdocs.backup_customers import BackupCustomer, BackupCustomerModel
from chalicelib.storage.itdocs.backup_customers import _customer as customer_from
from chalicelib.storage.itdocs.integrations import (
    IntegrationModel,
    IntegrationRecord,
    integration_from,
)
from chalicelib.storage.together import MAX_ITEMS, Wanted, read_together


def customers_with_integrations(
    keys: Sequence[tuple[str, str]],
) -> tuple[list[BackupCustomer | None], dict[str, IntegrationRecord | None]]:
    """Each (integration id, customer id)'s stored customer (None: not stored) in order, and each
    of their integrations by id (None: deleted)."""
    integration_ids = list(dict.fromkeys(integration_id for integration_id, _ in keys))
    wanted = [Wanted(IntegrationModel, i) for i in integration_ids]
    wanted += [Wanted(BackupCustomerModel, i, c) for i, c in keys]
    found = []
    for start in range(0, len(wanted), MAX_ITEMS):
        found += read_together(wanted[start:start + MAX_ITEMS])
    integrations = {i: None if m is None else integration_from(m)  # type: ignore[arg-type]
                    for i, m in zip(integration_ids, found, strict=False)}
    customers = [None if m is None else customer_from(m)  # type: ignore[arg-type]
                 for m in found[len(integration_ids):]]
    return customers, integrations
