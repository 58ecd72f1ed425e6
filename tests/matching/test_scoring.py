"""Scores of name pairs: what a person calls the same organization, and what only looks alike."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from chalicelib.matching import SUGGESTION_THRESHOLD, name_score, suggestion_key
from chalicelib.matching.scoring import compare_forms


@pytest.mark.parametrize(
    ("customer", "organization"),
    [
        ("Café Müller", "Cafe Muller"),
        ("Smith & Jones Dental", "Smith and Jones Dental"),
        ("Contoso Inc.", "Contoso, LLC"),
        ("Smith & Jones Dental", "Jones and Smith Dental"),
        ("ACME", "Acme"),
        ("Müller GmbH & Co. KG", "Muller"),
        ("The Contoso Group", "Contoso Group Ltd"),
    ],
)
def test_the_same_organization_written_differently_scores_100(
    customer: str, organization: str
) -> None:
    assert name_score(customer, organization) == 100


@pytest.mark.parametrize(
    ("customer", "organization", "score"),
    [
        ("Contosso Ltd", "Contoso Inc", 93),
        ("Northwind Trader", "Northwind Traders", 92),
        ("Bright Smiles Dentistry", "Bright Smile Dentistry", 91),
        ("Mueller Bakery", "Müller Bakery", 92),
        ("MMeadowbrook Family Medicine", "Meadowbrook Family Medicine", 96),
    ],
)
def test_small_slips_are_still_suggested(customer: str, organization: str, score: int) -> None:
    assert name_score(customer, organization) == score
    assert score >= SUGGESTION_THRESHOLD


@pytest.mark.parametrize(
    ("customer", "organization", "score"),
    [
        ("North Star Legal", "South Star Legal", 60),
        ("Contoso East", "Contoso West", 75),
        ("Lakeside Veterinary Clinic", "Lakeview Veterinary Clinic", 75),
        ("Smith Family Dental", "Smyth Family Dental", 80),
        ("Fabrikam", "Fabrikam Holdings", 64),
        ("First National Bank", "First National Bank of Ohio", 83),
        ("Blue Sky Plumbing", "Blue Sky Roofing", 40),
        ("Store 12", "Store 13", 50),
        ("Johnson & Johnson", "Johnson", 64),
    ],
)
def test_different_organizations_that_look_alike_are_not_suggested(
    customer: str, organization: str, score: int
) -> None:
    # On its own, token_sort_ratio would put several of these above the threshold.
    assert name_score(customer, organization) == score
    assert score < SUGGESTION_THRESHOLD


def test_names_with_nothing_to_compare_score_zero() -> None:
    assert name_score("", "Contoso") == 0
    assert name_score("&", "and") == 0
    assert name_score("...", "...") == 0


words = st.sampled_from(
    [
        "north",
        "south",
        "star",
        "legal",
        "smith",
        "smyth",
        "&",
        "and",
        "Inc.",
        "LLC",
        "Café",
        "cafe",
        "Müller",
        "contoso",
        "contosso",
        "the",
        "co",
        "a",
        "dental",
    ]
)
names = st.lists(words, max_size=5).map(" ".join) | st.text(max_size=25)


@given(names, names)
def test_scores_are_symmetric_and_bounded(one: str, other: str) -> None:
    score = name_score(one, other)
    assert score == name_score(other, one)
    assert 0 <= score <= 100


@given(names)
def test_a_name_scores_100_against_itself_when_it_has_words(name: str) -> None:
    expected = 100 if compare_forms(suggestion_key(name)).written else 0
    assert name_score(name, name) == expected


@given(names, names)
def test_the_score_never_exceeds_token_sort_or_plain_ratio_of_the_forms(
    one: str, other: str
) -> None:
    forms_one, forms_other = (
        compare_forms(suggestion_key(one)),
        compare_forms(suggestion_key(other)),
    )
    token_sort = fuzz.token_sort_ratio(forms_one.written, forms_other.written)
    as_written = fuzz.ratio(forms_one.written, forms_other.written)
    assert name_score(one, other) <= int(max(token_sort, as_written) + 0.5)
