"""How similar two organization names are, as a score from 0 to 100 shown to the user.

Names are compared as their suggestion keys without the word "and" (so "&", "and" and nothing at
all agree), in two forms: as written and with the words sorted. The score is the smaller of:

- the **name similarity**: the better of rapidfuzz's `fuzz.token_sort_ratio` (Indel similarity of
  the sorted words, so reordered words cost nothing) and `fuzz.ratio` of the words as written
  (which rescues a typo that moves a word in the sorted order: "MMeadowbrook Family Medicine"
  sorts "mmeadowbrook" last, token_sort alone scores it 65 against "Meadowbrook Family Medicine",
  as written it scores 98). On its own it rates "North Star Legal" against "South Star Legal" 88
  and "Lakeside Veterinary Clinic" against "Lakeview Veterinary Clinic" 92: a long shared tail
  hides a different distinctive word;
- the **weakest word**: words both names share are set aside; each remaining word of the name
  with fewer of them (both names when equal) is scored against its most similar remaining word in
  the other with `fuzz.ratio`, and the worst caps the score. "north"/"south" is 60,
  "lakeside"/"lakeview" 75, "east"/"west" 75, while a doubled letter ("contosso"/"contoso", 93)
  or a plural ("trader"/"traders", 92) stays high. Extra words in the longer name are already
  paid for by the name similarity ("Fabrikam" against "Fabrikam Holdings" scores 64).

Every part is symmetric, so the score is too, and it never exceeds the name similarity. The bulk
ranking (suggestions.py) shortlists with `rapidfuzz.process.cdist` and `fuzz.ratio` on these
forms, then scores the shortlist here.
"""

from __future__ import annotations

from typing import NamedTuple

from rapidfuzz import fuzz

from chalicelib.matching.names import exact_key, suggestion_key

IGNORED_WORDS = frozenset({"and"})


class Forms(NamedTuple):
    """A name as the score compares it: words as written and sorted, without "and"."""

    written: str
    alphabetical: str


def compare_forms(key: str) -> Forms:
    """The compare forms of a suggestion key; both empty when it has no words to compare."""
    words = [word for word in key.split() if word not in IGNORED_WORDS]
    return Forms(" ".join(words), " ".join(sorted(words)))


def rounded(score: float) -> int:
    """A 0-100 similarity rounded half up, as `process.cdist` rounds into integer matrices."""
    return int(score + 0.5)


def name_similarity(forms_a: Forms, forms_b: Forms) -> int:
    """The better of token_sort_ratio (alphabetical forms) and ratio (written forms), rounded."""
    return max(
        rounded(fuzz.ratio(forms_a.alphabetical, forms_b.alphabetical)),
        rounded(fuzz.ratio(forms_a.written, forms_b.written)),
    )


def weakest_word(alphabetical_a: str, alphabetical_b: str) -> int:
    """How well the unshared words of the name with fewer of them find a partner (the worst)."""
    unshared_b = alphabetical_b.split()
    unshared_a = []
    for word in alphabetical_a.split():
        if word in unshared_b:
            unshared_b.remove(word)
        else:
            unshared_a.append(word)
    if not unshared_a or not unshared_b:
        return 100
    weakest = 100.0
    if len(unshared_a) <= len(unshared_b):
        weakest = min(max(fuzz.ratio(a, b) for b in unshared_b) for a in unshared_a)
    if len(unshared_b) <= len(unshared_a):
        weakest = min(weakest, min(max(fuzz.ratio(b, a) for a in unshared_a) for b in unshared_b))
    return rounded(weakest)


def forms_score(forms_a: Forms, forms_b: Forms, similarity: int | None = None) -> int:
    """The score of two names' forms; pass `similarity` when a bulk ranking already has it."""
    if not forms_a.written or not forms_b.written:
        return 0
    if similarity is None:
        similarity = name_similarity(forms_a, forms_b)
    if similarity == 0:
        return 0
    return min(similarity, weakest_word(forms_a.alphabetical, forms_b.alphabetical))


def name_score(name_a: str, name_b: str) -> int:
    """How alike two organization names are, 0-100; names with nothing comparable score 0."""
    return forms_score(compare_forms(suggestion_key(name_a)), compare_forms(suggestion_key(name_b)))


def literal_similarity(name_a: str, name_b: str) -> float:
    """Similarity of the names as written, case aside: orders candidates that tie on score."""
    return fuzz.ratio(exact_key(name_a).casefold(), exact_key(name_b).casefold())
