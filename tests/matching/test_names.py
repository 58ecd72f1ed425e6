"""Name normalisation: what exact matching treats as the same name, and what suggestions fold."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.matching import exact_key, suggestion_key


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Café Müller", unicodedata.normalize("NFD", "Café Müller")),
        ("  Contoso   Ltd ", "Contoso Ltd"),
        ("Contoso\u00a0Ltd", "Contoso Ltd"),
        ("Contoso\tLtd\n", "Contoso Ltd"),
        ("Ｃｏｎｔｏｓｏ Ltd", "Contoso Ltd"),
        ("Con\u200btoso Ltd", "Contoso Ltd"),
        ("\ufeffContoso Ltd", "Contoso Ltd"),
        ("Oﬃce Supplies", "Office Supplies"),
    ],
)
def test_exact_key_ignores_what_a_reader_cannot_see(typed: str, stored: str) -> None:
    assert exact_key(typed) == exact_key(stored)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ACME", "Acme"),
        ("Cafe Muller", "Café Müller"),
        ("Contoso Ltd", "Contoso Ltd."),
        ("Contoso Ltd", "Contoso, Ltd"),
        ("Smith & Jones", "Smith and Jones"),
        ("Contoso Inc", "Contoso LLC"),
    ],
)
def test_exact_key_keeps_differences_a_reader_sees(one: str, other: str) -> None:
    assert exact_key(one) != exact_key(other)


def test_exact_key_of_blank_names_is_empty() -> None:
    assert exact_key("") == ""
    assert exact_key(" \t\u00a0\u200b ") == ""


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Café Müller", "cafe muller"),
        ("Cafe Muller", "cafe muller"),
        ("Straße Bäckerei", "strasse backerei"),
        ("Ørsted A/S", "orsted"),
        ("Smith & Jones Dental", "smith and jones dental"),
        ("Smith and Jones Dental", "smith and jones dental"),
        ("Contoso Inc.", "contoso"),
        ("Contoso, LLC", "contoso"),
        ("Contoso L.L.C.", "contoso"),
        ("Contoso Ltd", "contoso"),
        ("Contoso Limited", "contoso"),
        ("Contoso GmbH", "contoso"),
        ("Contoso Corp.", "contoso"),
        ("Contoso Corporation", "contoso"),
        ("Contoso Co.", "contoso"),
        ("Contoso & Co.", "contoso"),
        ("Contoso PLC", "contoso"),
        ("Contoso LLP", "contoso"),
        ("Contoso Pty Ltd", "contoso"),
        ("Contoso S.A.", "contoso"),
        ("Contoso AG", "contoso"),
        ("Contoso BV", "contoso"),
        ("Müller GmbH & Co. KG", "muller"),
        ("Contoso Corporration", "contoso"),
        ("Contoso Limted", "contoso"),
        ("The Contoso Group", "contoso group"),
        ("O'Brien Plumbing", "obrien plumbing"),
        ("O’Brien Plumbing", "obrien plumbing"),
        ("Smith-Jones Dental", "smith jones dental"),
        ("  CONTOSO   east  ", "contoso east"),
    ],
)
def test_suggestion_key_folds_what_people_write_differently(name: str, key: str) -> None:
    assert suggestion_key(name) == key


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Limited", "limited"),
        ("The Company", "company"),
        ("Co Op Bank", "co op bank"),
        ("Contoso Companies", "contoso companies"),
        ("Acme Compass", "acme compass"),
        ("Serenity Spa", "serenity spa"),
    ],
)
def test_suggestion_key_keeps_words_that_are_the_name(name: str, key: str) -> None:
    assert suggestion_key(name) == key


def test_suggestion_key_of_punctuation_only_is_empty() -> None:
    assert suggestion_key("&.,-") == "and"
    assert suggestion_key("...") == ""


names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40
) | st.sampled_from(["Café Müller", "Smith & Jones", "Ｃｏｎｔｏｓｏ Ltd", "The The Co Inc"])


@given(names)
def test_exact_key_is_idempotent(name: str) -> None:
    assert exact_key(exact_key(name)) == exact_key(name)


@given(names)
def test_exact_key_is_trimmed_and_single_spaced(name: str) -> None:
    key = exact_key(name)
    assert key == key.strip()
    assert "  " not in key


@given(names)
def test_suggestion_key_is_idempotent(name: str) -> None:
    assert suggestion_key(suggestion_key(name)) == suggestion_key(name)


@given(names)
def test_names_with_the_same_exact_key_have_the_same_suggestion_key(name: str) -> None:
    assert suggestion_key(exact_key(name)) == suggestion_key(name)
