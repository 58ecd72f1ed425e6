"""Organization matching: which IT Docs organization each backup customer belongs to.

The pure core of the sync: functions over plain mappings (customer id -> organizationName,
organization id -> name) and plain records. It imports nothing of the app (no storage, no runtime,
no web); the sync (`chalicelib.sync`) calls it and writes what it decides:

- `match_exactly(customers, organizations) -> ExactMatches`: a customer whose organizationName
  equals one organization's name (by `exact_key`: Unicode NFKC, trimmed, whitespace collapsed,
  case kept) is matched; several organizations with that name make it ambiguous, never a guess.
- `suggest_matches(customers, organizations) -> {customer id: CustomerSuggestions}`: for the
  customers exact matching left (`ExactMatches.needing_review`), ranked candidates scored 0-100;
  `.suggested` is the best one at or above `SUGGESTION_THRESHOLD`, `.auto_acceptable` says whether
  "Accept All Automatically" may accept it (no other organization tied with it), `.alternatives`
  feed "Match To".
- `similar_names(name, organizations)`: existing organizations to list before "Create
  Organization"; `same_name_organizations(name, organizations)`: exact duplicates, which creating
  must refuse.
- `search(query, organizations)`: the "Match To" search box.
- `name_score(a, b)`: the score of one pair, as shown to the user.
- `reconcile.reconcile(customers, organizations, standings)`: one sync's decisions, the standings
  that change; `reconcile.tally` counts what they leave.

Build an `OrganizationIndex` once to rank or search the same organizations repeatedly; every
function taking `organizations` accepts either it or a mapping.
"""

from __future__ import annotations

import importlib
from typing import Any

# Loaded on first use: `suggestions` brings numpy, which paths that only need `exact_key` (every
# IT Docs page, every Lambda's cold start) should not pay for.
_HOME = {
    "ExactMatches": "exact",
    "match_exactly": "exact",
    "organizations_by_exact_key": "exact",
    "same_name_organizations": "exact",
    "exact_key": "names",
    "suggestion_key": "names",
    "name_score": "scoring",
    "ALTERNATIVE_FLOOR": "suggestions",
    "SUGGESTION_THRESHOLD": "suggestions",
    "Candidate": "suggestions",
    "CustomerSuggestions": "suggestions",
    "OrganizationIndex": "suggestions",
    "search": "suggestions",
    "similar_names": "suggestions",
    "suggest_matches": "suggestions",
}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
