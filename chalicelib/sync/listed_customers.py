"""The run's first step, customer by customer: the vendor's list against the stored customers.

A listed customer takes the list's details (its seat summary kept until its seats are synced); a
stored customer the list lacks is marked the first time and removed the second, unless an element
without an id was skipped (then nobody can tell who is missing, and nothing is marked).
"""

from __future__ import annotations

import dataclasses

from chalicelib import logs
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.storage.itdocs.integrations import IntegrationRecord
from chalicelib.sync import vocabulary
from chalicelib.sync.saas_client import CustomerList, RemoteCustomer


def unknown_products(customers: list[RemoteCustomer]) -> list[str]:
    """A note per customer of a product the sync does not know (it is still synced)."""
    notes = []
    for customer in customers:
        if customer.product not in vocabulary.PRODUCT_NAMES:
            notes.append(f"Customer {customer.customer_id} ({customer.name}) has an unknown "
                         f"productType {customer.product!r}.")
            logs.event("saas_unknown_value", field="productType", value=customer.product[:40])
    return notes


def absent(record: IntegrationRecord, stored: dict[str, BackupCustomer], listed: CustomerList,
           notes: list[str]) -> tuple[list[BackupCustomer], list[str]]:
    """(customers the list lacks for the first time, marked; ids lacked twice, to delete)."""
    received = {c.customer_id for c in listed.customers} | set(listed.bad_ids)
    lacking = [c for c in stored.values() if c.customer_id not in received]
    if not listed.identified_all:
        notes.append(f"{len(lacking)} stored customers were not in the list, but an element "
                     "without an id was skipped, so none is taken as removed.")
        return [], []
    removed = [c.customer_id for c in lacking if c.missing_since_run not in (None, record.run_id)]
    first_miss = [dataclasses.replace(c, missing_since_run=record.run_id or "")
                  for c in lacking if c.missing_since_run is None]
    notes.append(f"{len(removed)} customers no longer listed removed; {len(first_miss)} missing "
                 "for the first time (removed if the next complete list lacks them too).")
    return first_miss, removed


def as_listed(record: IntegrationRecord, remote: RemoteCustomer,
              before: BackupCustomer | None) -> BackupCustomer:
    """The stored customer with the list's details (its seat summary kept as it was); a new
    product changes what the seats sum up to, so their ETag no longer stands for the summary."""
    kept = before or BackupCustomer(
        integration_id=record.integration_id, customer_id=remote.customer_id,
        account_id=record.account_id, name="", organization_name=None, domain="", product="",
        seats_used=0, active_services=0, recent_backup_services=0, backup_percentage=0.0,
        listed_since_run=record.run_id or "")
    return dataclasses.replace(
        kept, account_id=record.account_id, name=remote.name,
        organization_name=remote.organization_name, domain=remote.domain, product=remote.product,
        seats_used=remote.seats_used, active_services=remote.active_services,
        recent_backup_services=remote.recent_backup_services,
        backup_percentage=remote.backup_percentage, missing_since_run=None,
        seats_etag=kept.seats_etag if kept.product == remote.product else "")
