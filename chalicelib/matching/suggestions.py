"""Suggested matches: for each unmatched customer, the organizations with the most similar names.

`suggest_matches` ranks N customers against M organizations in bulk: every customer's compare form
(see scoring.py) against every organization's with `rapidfuzz.process.cdist` (`fuzz.ratio`, which
on sorted words is `token_sort_ratio`), into uint8 matrices of at most `CHUNK_CELLS` cells at a
time, on all cores, with scores under the floor zeroed by rapidfuzz. Each customer's best few are
then scored in full (weakest word pair) and ranked. Identical names are compared once.

`similar_names` (the "Create Organization" duplicate warning) and `search` (the "Match To" picker)
look up one name against the organizations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from chalicelib.matching.names import exact_key, suggestion_key
from chalicelib.matching.scoring import compare_form, form_score, rounded

SUGGESTION_THRESHOLD = 90
"""Lowest score that makes a candidate the customer's suggested match (and lets "Accept All
Automatically" accept it when no other organization ties). At 90 a suggestion survives differences
of case, accents, punctuation, "&"/"and", word order, legal suffixes ("Contoso Inc." / "Contoso,
LLC"), a doubled or dropped letter in a long word and plurals, but not a different word ("North
Star Legal" / "South Star Legal" scores 60, "Contoso East" / "Contoso West" 75), a substituted
letter in a word of up to nine letters ("Smith" / "Smyth" 80) or an extra word ("Fabrikam" /
"Fabrikam Holdings" 64): linking a customer to the wrong organization shows its backups to the
wrong client, so anything less sure is left for a person, who sees it among the alternatives."""

ALTERNATIVE_FLOOR = 60
"""Lowest score worth listing as an alternative in the "Match To" picker."""

SIMILAR_NAME_FLOOR = 80
"""Lowest `fuzz.WRatio` that lists an existing organization in the "Create Organization" warning."""

SEARCH_FLOOR = 60
"""Lowest `fuzz.WRatio` for a "Match To" search hit that does not contain the query outright."""

CHUNK_CELLS = 16_000_000
"""Most scores held at once (bytes of one uint8 matrix): 5,000 x 20,000 runs in 16 MB slices."""

SHORTLIST = 40
"""Most candidates per customer, by name similarity, that are scored in full."""


@dataclass(frozen=True)
class Candidate:
    """An IT Docs organization proposed for a name, with its score (0-100)."""

    organization_id: str
    name: str
    score: int


@dataclass(frozen=True)
class CustomerSuggestions:
    """One customer's candidates, best first, and whether the best is a suggestion to act on."""

    customer_id: str
    candidates: tuple[Candidate, ...]
    threshold: int
    tied: bool
    """True when two or more organizations share the best score (even beyond the listed ones)."""

    @property
    def suggested(self) -> Candidate | None:
        """The suggested match shown with its score, or None when nothing reaches the threshold."""
        if self.candidates and self.candidates[0].score >= self.threshold:
            return self.candidates[0]
        return None

    @property
    def alternatives(self) -> tuple[Candidate, ...]:
        """The other candidates, for the "Match To" picker."""
        return self.candidates[1:] if self.suggested else self.candidates

    @property
    def auto_acceptable(self) -> bool:
        """Whether "Accept All Automatically" may accept the suggestion: reached and not tied."""
        return self.suggested is not None and not self.tied


class OrganizationIndex:
    """IT Docs organizations (id -> name) with their compare forms computed once, for reuse."""

    def __init__(self, organizations: Mapping[str, str]) -> None:
        self.names: dict[str, str] = dict(organizations)
        grouped: defaultdict[str, list[str]] = defaultdict(list)
        for organization_id, name in self.names.items():
            form = compare_form(suggestion_key(name))
            if form:
                grouped[form].append(organization_id)
        self.forms: list[str] = sorted(grouped)
        self.ids_by_form: list[tuple[str, ...]] = [tuple(grouped[form]) for form in self.forms]

    def candidates(self, form_index: int, score: int) -> list[Candidate]:
        """Every organization with the compare form at `form_index`, at `score`."""
        return [
            Candidate(organization_id, self.names[organization_id], score)
            for organization_id in self.ids_by_form[form_index]
        ]


Organizations = Mapping[str, str] | OrganizationIndex


def as_index(organizations: Organizations) -> OrganizationIndex:
    """The organizations as an index, building one from an id -> name mapping."""
    if isinstance(organizations, OrganizationIndex):
        return organizations
    return OrganizationIndex(organizations)


def suggest_matches(
    customers: Mapping[str, str],
    organizations: Organizations,
    *,
    threshold: int = SUGGESTION_THRESHOLD,
    limit: int = 5,
    floor: int = ALTERNATIVE_FLOOR,
    workers: int = -1,
) -> dict[str, CustomerSuggestions]:
    """Rank organizations for each customer id -> organizationName: `limit` best from `floor`."""
    index = as_index(organizations)
    customer_ids_by_form: defaultdict[str, list[str]] = defaultdict(list)
    for customer_id, organization_name in customers.items():
        customer_ids_by_form[compare_form(suggestion_key(organization_name))].append(customer_id)
    queries = sorted(form for form in customer_ids_by_form if form)
    ranked: dict[str, tuple[list[Candidate], bool]] = {}
    if queries and index.forms:
        rows_per_chunk = max(1, CHUNK_CELLS // len(index.forms))
        cutoff = min(floor, threshold)
        for start in range(0, len(queries), rows_per_chunk):
            chunk = queries[start : start + rows_per_chunk]
            rankings = _rank_chunk(chunk, index, cutoff, limit, workers)
            ranked.update(zip(chunk, rankings, strict=True))
    suggestions: dict[str, CustomerSuggestions] = {}
    for form, customer_ids in customer_ids_by_form.items():
        candidates, tied = ranked.get(form, ([], False))
        for customer_id in customer_ids:
            suggestions[customer_id] = CustomerSuggestions(
                customer_id, tuple(candidates), threshold, tied
            )
    return suggestions


def _rank_chunk(
    queries: Sequence[str], index: OrganizationIndex, floor: int, limit: int, workers: int
) -> Iterable[tuple[list[Candidate], bool]]:
    """Score a slice of customers against every organization; yield each one's ranking in order."""
    similarities = process.cdist(
        queries,
        index.forms,
        scorer=fuzz.ratio,
        dtype=np.uint8,
        score_cutoff=floor,
        workers=workers,
    )
    rows, columns = np.nonzero(similarities)
    values = similarities[rows, columns]
    # Row by row, most similar first; np.nonzero already lists columns in ascending order.
    order = np.lexsort((-values.astype(np.int16), rows))
    rows, columns, values = rows[order], columns[order], values[order]
    bounds = np.searchsorted(rows, np.arange(len(queries) + 1))
    for row, form in enumerate(queries):
        start, end = int(bounds[row]), min(int(bounds[row + 1]), int(bounds[row]) + SHORTLIST)
        shortlist, similarities_listed = columns[start:end].tolist(), values[start:end].tolist()
        yield _best(form, shortlist, similarities_listed, index, floor, limit)


def _best(
    form: str,
    columns: list[int],
    similarities: list[int],
    index: OrganizationIndex,
    floor: int,
    limit: int,
) -> tuple[list[Candidate], bool]:
    """Full scores for a customer's shortlist, most similar first, until no later one can place."""
    found: list[Candidate] = []
    for column, similarity in zip(columns, similarities, strict=True):
        # A full score never exceeds the name similarity, and the shortlist is sorted by it.
        if len(found) >= limit and similarity < found[limit - 1].score:
            break
        score = form_score(form, index.forms[column], similarity)
        if score >= floor:
            found.extend(index.candidates(column, score))
            found.sort(key=_ranking_order)
    tied = len(found) > 1 and found[0].score == found[1].score
    return found[:limit], tied


def _ranking_order(candidate: Candidate) -> tuple[int, str, str, str]:
    """Best score first; equal scores alphabetically by name, then by id, for a stable order."""
    return (-candidate.score, candidate.name.casefold(), candidate.name, candidate.organization_id)


def similar_names(name: str, organizations: Organizations, limit: int = 5) -> list[Candidate]:
    """Existing organizations with names like `name` (exact duplicates score 100), best first."""
    index = as_index(organizations)
    form = compare_form(suggestion_key(name))
    found: list[Candidate] = []
    if form:
        hits = process.extract(
            form, index.forms, scorer=fuzz.WRatio, score_cutoff=SIMILAR_NAME_FLOOR, limit=None
        )
        for _, score, column in hits:
            found.extend(index.candidates(column, rounded(score)))
    key = exact_key(name)
    found = [
        Candidate(c.organization_id, c.name, 100) if key and exact_key(c.name) == key else c
        for c in found
    ]
    return sorted(found, key=_ranking_order)[:limit]


def search(query: str, organizations: Organizations, limit: int = 10) -> list[Candidate]:
    """Organizations for the "Match To" box: names containing every query word, then similar."""
    index = as_index(organizations)
    form = compare_form(suggestion_key(query))
    if not form:
        return []
    scores: dict[int, float] = {
        column: score
        for _, score, column in process.extract(
            form, index.forms, scorer=fuzz.WRatio, score_cutoff=SEARCH_FLOOR, limit=None
        )
    }
    words = form.split()
    containing = {
        column for column, other in enumerate(index.forms) if all(word in other for word in words)
    }
    ranked = sorted(
        containing | scores.keys(),
        key=lambda column: (column not in containing, -scores.get(column, 0.0), column),
    )
    found: list[Candidate] = []
    for column in ranked[:limit]:
        score = rounded(scores.get(column, fuzz.WRatio(form, index.forms[column])))
        found.extend(index.candidates(column, score))
    return found[:limit]
