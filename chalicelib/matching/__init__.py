"""Organization matching: which IT Docs organization each backup customer belongs to.

Pure functions over plain mappings (customer id -> organizationName, organization id -> name); no
storage, no web. The sync engine and the IT Docs matching screen call them:

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

Build an `OrganizationIndex` once to rank or search the same organizations repeatedly; every
function taking `organizations` accepts either it or a mapping.
"""

from __future__ import annotations

from chalicelib.matching.exact import (
    ExactMatches,
    match_exactly,
    organizations_by_exact_key,
    same_name_organizations,
)
from chalicelib.matching.names import exact_key, suggestion_key
from chalicelib.matching.scoring import name_score
from chalicelib.matching.suggestions import (
    ALTERNATIVE_FLOOR,
    SUGGESTION_THRESHOLD,
    Candidate,
    CustomerSuggestions,
    OrganizationIndex,
    search,
    similar_names,
    suggest_matches,
)

__all__ = [
    "ALTERNATIVE_FLOOR",
    "SUGGESTION_THRESHOLD",
    "Candidate",
    "CustomerSuggestions",
    "ExactMatches",
    "OrganizationIndex",
    "exact_key",
    "match_exactly",
    "name_score",
    "organizations_by_exact_key",
    "same_name_organizations",
    "search",
    "similar_names",
    "suggest_matches",
    "suggestion_key",
]
