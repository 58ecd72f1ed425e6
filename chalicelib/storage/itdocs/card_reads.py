"""What an organization's SaaS Protection card reads once it knows the customers listed as matched
to it: their match records, synced summaries and integrations, in one BatchGetItem per hundred
items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.storage.itdocs.backup_customers import BackupCustomer, BackupCustomerModel
from chalicelib.storage.itdocs.backup_customers import _customer as customer_from
from chalicelib.storage.itdocs.integrations import (
    IntegrationModel,
    IntegrationRecord,
    integration_from,
)
from chalicelib.storage.itdocs.match_decisions import CustomerMatch, CustomerMatchModel, match_from
from chalicelib.storage.together import MAX_ITEMS, Wanted, read_together


@dataclass(frozen=True)
class CardItems:
    """For each (integration id, customer id) asked, in order: its match record and stored
    customer (None: not stored); and each of their integrations by id (None: deleted)."""

    matches: list[CustomerMatch | None]
    customers: list[BackupCustomer | None]
    integrations: dict[str, IntegrationRecord | None]


def card_items(keys: Sequence[tuple[str, str]]) -> CardItems:
    """The match records, customers and integrations of the keys, read together."""
    integration_ids = list(dict.fromkeys(integration_id for integration_id, _ in keys))
    wanted = [Wanted(IntegrationModel, i) for i in integration_ids]
    wanted += [Wanted(CustomerMatchModel, i, c) for i, c in keys]
    wanted += [Wanted(BackupCustomerModel, i, c) for i, c in keys]
    found = []
    for start in range(0, len(wanted), MAX_ITEMS):
        found += read_together(wanted[start:start + MAX_ITEMS])
    integrations = {i: None if m is None else integration_from(m)  # type: ignore[arg-type]
                    for i, m in zip(integration_ids, found, strict=False)}
    rest = found[len(integration_ids):]
    matches = [None if m is None else match_from(m)  # type: ignore[arg-type]
               for m in rest[:len(keys)]]
    customers = [None if m is None else customer_from(m)  # type: ignore[arg-type]
                 for m in rest[len(keys):]]
    return CardItems(matches, customers, integrations)
