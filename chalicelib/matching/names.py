"""Organization name normalisation: a strict key for exact matching, a loose key for suggestions.

`exact_key` decides whether a customer's organizationName *is* an IT Docs organization name. It
only removes differences a reader cannot see or would never call a different name:

- Unicode NFKC normalisation, so composed and decomposed accents ("é" as one code point or as "e" +
  combining acute), ligatures ("ﬁ"), full-width letters and no-break spaces compare equal;
- invisible characters (zero-width space, word joiner, byte order mark, soft hyphen) removed;
- leading and trailing whitespace trimmed, internal runs of whitespace collapsed to one space.

It stays **case-sensitive**. The seed's rule is an exact name, DESIGN.md lets nothing fuzzy be
accepted without review in "Leave for Review" mode, and case folding would buy nothing: "ACME"
against "Acme" gets a suggestion scored 100 (the suggestion key folds case), which "Accept All
Automatically" accepts anyway and a reviewer accepts with one click, while an exact rule that
folded case would make two IT Docs organizations that differ only in case ambiguous for every
customer named like either.

`suggestion_key` is for ranking only and never decides a match on its own: it folds case, strips
accents, spells "&" as "and", drops punctuation, a leading "The" and trailing legal-form suffixes
(Inc., LLC, Ltd, GmbH, "& Co", Pty Ltd, S.A., ..., and long ones mistyped by a letter, such as
"Corporration"), and collapses whitespace.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz, process

# Format characters that render as nothing; pasted names often carry them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))

# Letters that NFKD does not decompose into a base letter plus marks.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)

# Dots and apostrophes join what they separate ("L.L.C." -> "llc", "O'Brien" -> "obrien").
_JOINING_PUNCTUATION = re.compile(r"[.'\u2019\u02bc`]")
# Any other run of non-word characters (and underscores) separates words.
_SEPARATORS = re.compile(r"[\W_]+")

# Legal-form suffixes removed from the end of a name, as word sequences after punctuation removal.
# Only removed while at least one other word remains, so "Limited" alone stays "limited". Words
# that are also trades ("Spa" for S.p.A.) are left out: "Serenity Spa" is not "Serenity Salon".
LEGAL_SUFFIXES: frozenset[tuple[str, ...]] = frozenset(
    tuple(suffix.split())
    for suffix in (
        "inc|incorporated|corp|corporation|co|company|llc|llp|lp|ltd|limited|plc|gmbh|mbh|ag|kg|ug|"
        "bv|nv|sa|sas|sarl|srl|oy|ab|as|aps|pty|pte|pvt|bhd|sdn|kk|"
        "and co|pty ltd|pvt ltd|co ltd|private limited|l l c|s a|a s"
    ).split("|")
)
_LONGEST_SUFFIX = max(len(suffix) for suffix in LEGAL_SUFFIXES)

# Long legal forms are often mistyped ("Corporration", "Limted"); one slip still counts as the form.
_MISTYPABLE_SUFFIXES = ("limited", "company", "corporation", "incorporated")
_MISTYPED_SUFFIX_SCORE = 85


def exact_key(name: str) -> str:
    """The name as exact matching compares it: NFKC, invisibles dropped, whitespace trimmed."""
    normalised = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    return " ".join(normalised.split())


def suggestion_key(name: str) -> str:
    """The name as suggestions compare it: case, accents, "&", punctuation, legal forms folded."""
    text = exact_key(name).casefold()
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in decomposed if not unicodedata.combining(char))
        text = text.translate(_LETTERS_WITHOUT_DECOMPOSITION)
    text = text.replace("&", " and ")
    text = _JOINING_PUNCTUATION.sub("", text)
    words = _SEPARATORS.sub(" ", text).split()
    return " ".join(_without_legal_suffixes(_without_leading_article(words)))


def _without_leading_article(words: list[str]) -> list[str]:
    """Drop leading "the"s ("The Contoso Group" ranks like "Contoso Group"), keeping one word."""
    while len(words) > 1 and words[0] == "the":
        words = words[1:]
    return words


def _without_legal_suffixes(words: list[str]) -> list[str]:
    """Strip trailing legal forms repeatedly ("GmbH & Co. KG"), keeping at least one word."""
    stripped = True
    while stripped:
        stripped = False
        for size in range(min(_LONGEST_SUFFIX, len(words) - 1), 0, -1):
            if tuple(words[-size:]) in LEGAL_SUFFIXES:
                words = words[:-size]
                stripped = True
                break
        if not stripped and len(words) > 1 and _is_mistyped_suffix(words[-1]):
            words = words[:-1]
            stripped = True
    return words


def _is_mistyped_suffix(word: str) -> bool:
    """Whether a word of six letters or more is a long legal form with one letter off."""
    if len(word) < 6:
        return False
    found = process.extractOne(
        word, _MISTYPABLE_SUFFIXES, scorer=fuzz.ratio, score_cutoff=_MISTYPED_SUFFIX_SCORE
    )
    return found is not None
