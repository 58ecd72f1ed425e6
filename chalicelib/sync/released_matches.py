"""The matches an organization's deletion releases: its customers go back to Unmatched, audited.

IT Docs' Delete organization asks `release_decisions` for the changes (it writes them with the
rest of the deletion), then `queue_syncs` so each integration's next sync follows. The customers
are read with strongly consistent Queries of each of the account's integrations, so a match written
just before the deletion began is among them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.match_decisions import UNMATCHED, CustomerMatch
from chalicelib.sync.acting import ActingUser
from chalicelib.sync.match_actions import decision_for, may_change
from chalicelib.sync.schedule import queue_sync

RELEASED = "Unmatched: organization deleted"


def release_decisions(rt: Runtime, user: ActingUser, organization_id: str,
                      organization_name: str) -> list[store.Decision]:
    """Each customer of the account matched to the organization, back to Unmatched (the next sync
    matches it by exact name or suggests again), with its audit entry naming the organization."""
    may_change(user)
    return [
        decision_for(rt, record, _released(record), RELEASED, user.name, organization_name)
        for record in matched_customers(user.account_id, organization_id)
    ]


def matched_customers(account_id: str, organization_id: str) -> list[CustomerMatch]:
    """The account's customers matched to the organization, in every integration."""
    found: list[CustomerMatch] = []
    for integration in integration_store.integrations_of_account(account_id):
        matched = store.matched_to_organization(integration.integration_id, organization_id)
        found.extend(record for record in matched if record.account_id == account_id)
    return found


def queue_syncs(rt: Runtime, decisions: Iterable[store.Decision]) -> None:
    """Queue the sync of each integration a released match belonged to (once each)."""
    for integration_id in dict.fromkeys(d.record.integration_id for d in decisions):
        queue_sync(rt, integration_id, reason="matching: organization deleted")


def _released(record: CustomerMatch) -> CustomerMatch:
    return dataclasses.replace(record, status=UNMATCHED, organization_id=None, matched_by=None,
                               held=False)
