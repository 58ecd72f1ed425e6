"""The IT Docs organization item, and the customers matched to it that it lists.

An organization lists the customers matched to it (`matched`, "<integration>#<customer>"), so its
page reads their summaries by key in one BatchGetItem instead of querying an index first. Every
write that matches a customer to an organization adds its key in the same transaction
(`add_matched`, also the check that the organization exists and is not being deleted); every
write that takes a match away removes it (`remove_matched`). The list may hold more than the truth
for a moment (a customer gone with its integration, or listed from the index while a person
unmatched it): readers keep only customers whose record says Matched to the organization.

`matched_listed` says the list is complete. An organization created before the list was kept has
neither attribute: its page reads the index once and lists what it found (`list_matched`).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import (
    BooleanAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.transactions import Transaction

MatchedKey = tuple[str, str]
"""(integration id, customer id) of a customer matched to an organization."""


class ItDocsOrganizationModel(Model):
    class Meta:
        logical_name = "itdocs_organizations"
        table_name = "itdocs_organizations"

    account_id = UnicodeAttribute(hash_key=True)
    organization_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    name_key = UnicodeAttribute()  # the exact-match key its marker is named by
    created_by = UnicodeAttribute(default="")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    deleting_since = UTCDateTimeAttribute(null=True)  # set when a deletion began
    matched = UnicodeSetAttribute(null=True)  # "<integration>#<customer>" matched to it
    matched_listed = BooleanAttribute(null=True)  # True once `matched` lists every match


def matched_key(integration_id: str, customer_id: str) -> str:
    """How the organization lists one matched customer."""
    return f"{integration_id}#{customer_id}"


def listed_matches(model: ItDocsOrganizationModel) -> tuple[MatchedKey, ...] | None:
    """The customers the item lists as matched to it (None: it does not list them yet)."""
    if not model.matched_listed:
        return None
    pairs = (key.partition("#") for key in model.matched or ())
    return tuple(sorted((integration, customer) for integration, _, customer in pairs))


def add_matched(tx: Transaction, account_id: str, organization_id: str,
                keys: Iterable[str], name: str | None = None) -> None:
    """List the customers as matched to the organization, in `tx`, which fails unless the
    organization exists and is not being deleted (the guard of every match) and, given `name`,
    is still so named (what the caller read it as, without reading it)."""
    model = ItDocsOrganizationModel(account_id, organization_id)
    condition = (ItDocsOrganizationModel.organization_id.exists()
                 & ItDocsOrganizationModel.deleting_since.does_not_exist())
    if name is not None:
        condition &= ItDocsOrganizationModel.name == name
    tx.update(model, actions=[ItDocsOrganizationModel.matched.add(set(keys))],
              condition=condition)


def remove_matched(tx: Transaction, account_id: str, organization_id: str,
                   keys: Iterable[str]) -> None:
    """Take the customers off the organization's list, in `tx`, which fails when the
    organization is gone (an update would otherwise create it)."""
    model = ItDocsOrganizationModel(account_id, organization_id)
    tx.update(model, actions=[ItDocsOrganizationModel.matched.delete(set(keys))],
              condition=ItDocsOrganizationModel.organization_id.exists())


def list_matched(account_id: str, organization_id: str, found: Iterable[MatchedKey]) -> None:
    """Mark an organization's list complete, adding the matches the index found (the backfill of
    an organization created before the list was kept). Every match written since the list began
    added itself, so the union is complete; one unmatched meanwhile is filtered by readers. An
    organization gone meanwhile is left alone."""
    keys = {matched_key(integration, customer) for integration, customer in found}
    actions: list[Action] = [ItDocsOrganizationModel.matched_listed.set(True)]
    if keys:
        actions.append(ItDocsOrganizationModel.matched.add(keys))
    try:
        with translated():
            ItDocsOrganizationModel(account_id, organization_id).update(
                actions=actions, condition=ItDocsOrganizationModel.organization_id.exists())
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise
