"""Suggested matches: for each unmatched customer, the organizations with the most similar names.

`suggest_matches` ranks N customers against M organizations in bulk. `rapidfuzz.process.cdist`
with `fuzz.ratio` on the sorted compare forms (token_sort_ratio, see scoring.py) rates every
customer against every organization into a uint8 matrix of at most `CHUNK_CELLS` cells at a time,
on all cores, with scores under the floor zeroed by rapidfuzz. Each customer's most similar few
(`SHORTLIST`) are scored in full and ranked. Customers left without a suggestion get a second
shortlist from the names as written (a typo can move a word in the sorted order), which costs a
fraction of a second pass. Identical names are compared once.

`similar_names` (the "Create Organization" duplicate warning) and `search` (the "Match To" picker)
look up one name against the organizations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from chalicelib.matching.names import exact_key, suggestion_key
from chalicelib.matching.scoring import (
    Forms,
    compare_forms,
    forms_score,
    literal_similarity,
    rounded,
)

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

CHUNK_CELLS = 8_000_000
"""Cells of one uint8 score matrix (two are held at once): 5,000 x 20,000 runs in 8 MB slices."""

SHORTLIST = 10
"""Most candidates per customer and pass that are scored in full. The alternatives are the best of
these, which differs from the best of all only when more than ten organizations are more similar
by sorted words than one that scores higher in full."""


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
        grouped: defaultdict[Forms, list[str]] = defaultdict(list)
        for organization_id, name in self.names.items():
            forms = compare_forms(suggestion_key(name))
            if forms.written:
                grouped[forms].append(organization_id)
        self.forms: list[Forms] = sorted(grouped)
        self.written: list[str] = [forms.written for forms in self.forms]
        self.alphabetical: list[str] = [forms.alphabetical for forms in self.forms]
        self.ids_by_form: list[tuple[str, ...]] = [tuple(grouped[forms]) for forms in self.forms]

    def candidates(self, form_index: int, score: int) -> list[Candidate]:
        """Every organization with the compare forms at `form_index`, at `score`."""
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
    chunk_cells: int = CHUNK_CELLS,
) -> dict[str, CustomerSuggestions]:
    """Rank organizations for each customer id -> organizationName: `limit` best from `floor`.

    `workers` is rapidfuzz's thread count (-1: every core); `chunk_cells` bounds the score matrix.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    index = as_index(organizations)
    customer_ids_by_forms: defaultdict[Forms, list[str]] = defaultdict(list)
    for customer_id, organization_name in customers.items():
        forms = compare_forms(suggestion_key(organization_name))
        customer_ids_by_forms[forms].append(customer_id)
    queries = sorted(forms for forms in customer_ids_by_forms if forms.written)
    ranked: dict[Forms, tuple[list[Candidate], bool]] = {}
    if queries and index.forms:
        rows_per_chunk = max(1, chunk_cells // len(index.forms))
        cutoff = min(floor, threshold)
        for start in range(0, len(queries), rows_per_chunk):
            chunk = queries[start : start + rows_per_chunk]
            rankings = _rank_chunk(chunk, index, cutoff, threshold, limit, workers)
            ranked.update(zip(chunk, rankings, strict=True))
    suggestions: dict[str, CustomerSuggestions] = {}
    for forms, customer_ids in customer_ids_by_forms.items():
        candidates, tied = ranked.get(forms, ([], False))
        for customer_id in customer_ids:
            listed = _closest_first(customers[customer_id], candidates)[:limit]
            suggestions[customer_id] = CustomerSuggestions(customer_id, listed, threshold, tied)
    return suggestions


def _rank_chunk(
    queries: Sequence[Forms],
    index: OrganizationIndex,
    floor: int,
    threshold: int,
    limit: int,
    workers: int,
) -> list[tuple[list[Candidate], bool]]:
    """Rank a slice of customers against every organization, in the order of `queries`."""
    from chalicelib.matching import similarity_matrix  # numpy: loaded only for bulk ranking

    sorted_similarities = similarity_matrix.similarities(
        [q.alphabetical for q in queries], index.alphabetical, floor, workers
    )
    shortlists = similarity_matrix.shortlists(sorted_similarities, SHORTLIST)
    del sorted_similarities
    rankings = [
        _best(forms, shortlist, index, floor, limit)
        for forms, shortlist in zip(queries, shortlists, strict=True)
    ]
    # A typo can move a word in the sorted order ("MMeadowbrook" sorts last): where nothing
    # reached the threshold, shortlist by the names as written too.
    retry = [row for row, (found, _) in enumerate(rankings) if not _reaches(found, threshold)]
    if retry:
        written_similarities = similarity_matrix.similarities(
            [queries[row].written for row in retry], index.written, floor, workers
        )
        retried = similarity_matrix.shortlists(written_similarities, SHORTLIST)
        for row, shortlist in zip(retry, retried, strict=True):
            columns = list(dict.fromkeys([*shortlists[row], *shortlist]))
            rankings[row] = _best(queries[row], columns, index, floor, limit)
    return rankings


def _reaches(found: list[Candidate], threshold: int) -> bool:
    """Whether a ranking's best candidate is a suggestion."""
    return bool(found) and found[0].score >= threshold


def _best(
    forms: Forms, columns: list[int], index: OrganizationIndex, floor: int, limit: int
) -> tuple[list[Candidate], bool]:
    """Full scores for a shortlist: candidates from `floor`, best first, ties kept at the cut."""
    found: list[Candidate] = []
    for column in columns:
        score = forms_score(forms, index.forms[column])
        if score >= floor:
            found.extend(index.candidates(column, score))
    found.sort(key=lambda candidate: -candidate.score)
    tied = len(found) > 1 and found[0].score == found[1].score
    # Keep ties with the last listed place: each customer's own name orders them.
    cut = found[limit - 1].score if len(found) >= limit else floor
    return [candidate for candidate in found if candidate.score >= cut], tied


def _closest_first(organization_name: str, candidates: list[Candidate]) -> tuple[Candidate, ...]:
    """Best score first; ties by closeness to the name as the customer writes it, then by name."""
    return tuple(
        sorted(
            candidates,
            key=lambda candidate: (
                -candidate.score,
                -literal_similarity(organization_name, candidate.name),
                candidate.name.casefold(),
                candidate.organization_id,
            ),
        )
    )


def similar_names(name: str, organizations: Organizations, limit: int = 5) -> list[Candidate]:
    """Existing organizations with names like `name`, best first; an exact duplicate leads at 100.

    Scored with `fuzz.WRatio`, which also rates a name contained in another highly ("Contoso" in
    "Contoso East"): a warning should rather list one name too many than miss a duplicate.
    """
    index = as_index(organizations)
    forms = compare_forms(suggestion_key(name))
    found: list[Candidate] = []
    if forms.written:
        hits = process.extract(
            forms.written,
            index.written,
            scorer=fuzz.WRatio,
            score_cutoff=SIMILAR_NAME_FLOOR,
            limit=None,
        )
        for _, score, column in hits:
            found.extend(index.candidates(column, rounded(score)))
    key = exact_key(name)
    found = [
        Candidate(c.organization_id, c.name, 100) if key and exact_key(c.name) == key else c
        for c in found
    ]
    return list(_closest_first(name, found)[:limit])


def search(query: str, organizations: Organizations, limit: int = 10) -> list[Candidate]:
    """Organizations for the "Match To" box, each scored with `fuzz.WRatio` against the query.

    Names containing every word typed come first, those the query covers most first ("conto"
    lists "Contoso" before "Contoso East"); then names merely similar, best score first.
    """
    index = as_index(organizations)
    words = compare_forms(suggestion_key(query)).written.split()
    if not words:
        return []
    typed = " ".join(words)
    scores: dict[int, float] = {
        column: score
        for _, score, column in process.extract(
            typed, index.written, scorer=fuzz.WRatio, score_cutoff=SEARCH_FLOOR, limit=None
        )
    }
    containing = {
        column for column, other in enumerate(index.written) if all(word in other for word in words)
    }
    ranked = sorted(
        containing | scores.keys(),
        key=lambda column: (
            column not in containing,
            -fuzz.ratio(typed, index.written[column]) if column in containing else 0.0,
            -scores.get(column, 0.0),
            column,
        ),
    )
    found: list[Candidate] = []
    for column in ranked[:limit]:
        score = rounded(scores.get(column, fuzz.WRatio(typed, index.written[column])))
        found.extend(index.candidates(column, score))
    return found[:limit]
