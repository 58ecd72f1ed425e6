"""How similar two organization names are, as a score from 0 to 100 shown to the user.

The score of two names is the smaller of two numbers, both computed on their suggestion keys with
the word "and" left out (so "&", "and" and nothing at all agree):

- the **name similarity**: rapidfuzz's `fuzz.token_sort_ratio` (Indel similarity of the words
  sorted alphabetically), so reordered words cost nothing and a typo costs a little. On its own it
  rates "North Star Legal" against "South Star Legal" 88 and "Lakeside Veterinary Clinic" against
  "Lakeview Veterinary Clinic" 92: a long shared tail hides a different distinctive word;
- the **weakest word pair**: words are paired greedily, most similar first, each pair scored with
  `fuzz.ratio`; the weakest pair caps the score. "north"/"south" is 60, "lakeside"/"lakeview" 75,
  "east"/"west" 75, while a doubled letter ("contosso"/"contoso", 93) or a plural
  ("trader"/"traders", 92) stays high. Words without a partner (an extra word in the longer name)
  are already paid for by the name similarity ("Fabrikam" against "Fabrikam Holdings" scores 64).

Both parts are symmetric, so the score is too. `compare_form` is the sorted word form the bulk
ranking feeds to `rapidfuzz.process.cdist` with `fuzz.ratio`: `token_sort_ratio` on the keys.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from chalicelib.matching.names import suggestion_key

IGNORED_WORDS = frozenset({"and"})


def compare_form(key: str) -> str:
    """A suggestion key's words without "and", sorted, as the similarity compares them."""
    return " ".join(sorted(word for word in key.split() if word not in IGNORED_WORDS))


def rounded(score: float) -> int:
    """A 0-100 similarity rounded half up, as `process.cdist` rounds into integer matrices."""
    return int(score + 0.5)


def weakest_word_pair(form_a: str, form_b: str) -> int:
    """The lowest `fuzz.ratio` of words paired most-similar-first; 100 when a side has none."""
    words_a, words_b = form_a.split(), form_b.split()
    if not words_a or not words_b:
        return 100
    pairs = sorted(
        (-fuzz.ratio(a, b), min(a, b), max(a, b), i, j)
        for i, a in enumerate(words_a)
        for j, b in enumerate(words_b)
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    weakest = 100.0
    for negative_ratio, _, _, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        weakest = min(weakest, -negative_ratio)
        if len(used_a) == len(words_a) or len(used_b) == len(words_b):
            break
    return rounded(weakest)


def form_score(form_a: str, form_b: str, name_similarity: int | None = None) -> int:
    """The score of two compare forms; pass `name_similarity` when a bulk ranking already has it."""
    if not form_a or not form_b:
        return 0
    if name_similarity is None:
        name_similarity = rounded(fuzz.ratio(form_a, form_b))
    if name_similarity == 0:
        return 0
    return min(name_similarity, weakest_word_pair(form_a, form_b))


def name_score(name_a: str, name_b: str) -> int:
    """How alike two organization names are, 0-100; names with nothing comparable score 0."""
    return form_score(compare_form(suggestion_key(name_a)), compare_form(suggestion_key(name_b)))
