"""Exact matching: a customer's organizationName equal to one IT Docs organization's name.

Names are compared by `exact_key` (Unicode NFKC, invisible characters removed, whitespace trimmed
and collapsed; case kept). When two or more organizations share a customer's exact key the customer
is reported as ambiguous with every candidate, never matched by a guess. A blank name matches
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.matching.names import exact_key


@dataclass(frozen=True)
class ExactMatches:
    """The outcome of exact matching for a set of customers, keyed by customer id."""

    matched: dict[str, str]
    """customer id -> the one organization id whose name equals the customer's organizationName."""
    ambiguous: dict[str, tuple[str, ...]]
    """customer id -> the organization ids (sorted, two or more) that all have that exact name."""
    unmatched: tuple[str, ...]
    """customer ids (sorted) whose organizationName is blank or equals no organization's name."""

    @property
    def needing_review(self) -> tuple[str, ...]:
        """Customer ids left Unmatched by exact matching (unmatched and ambiguous), sorted."""
        return tuple(sorted((*self.unmatched, *self.ambiguous)))


def organizations_by_exact_key(organizations: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Exact key -> the ids (sorted) of organizations with that name; blank names left out."""
    grouped: defaultdict[str, list[str]] = defaultdict(list)
    for organization_id, name in organizations.items():
        key = exact_key(name)
        if key:
            grouped[key].append(organization_id)
    return {key: tuple(sorted(ids)) for key, ids in grouped.items()}


def match_exactly(customers: Mapping[str, str], organizations: Mapping[str, str]) -> ExactMatches:
    """Match customer id -> organizationName against organization id -> name by exact key."""
    by_key = organizations_by_exact_key(organizations)
    matched: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    unmatched: list[str] = []
    for customer_id, organization_name in customers.items():
        candidates = by_key.get(exact_key(organization_name), ())
        if len(candidates) == 1:
            matched[customer_id] = candidates[0]
        elif candidates:
            ambiguous[customer_id] = candidates
        else:
            unmatched.append(customer_id)
    return ExactMatches(matched=matched, ambiguous=ambiguous, unmatched=tuple(sorted(unmatched)))


def same_name_organizations(name: str, organizations: Mapping[str, str]) -> tuple[str, ...]:
    """Ids (sorted) of organizations named exactly `name`: creating it would duplicate them."""
    key = exact_key(name)
    if not key:
        return ()
    return tuple(sorted(oid for oid, other in organizations.items() if exact_key(other) == key))
