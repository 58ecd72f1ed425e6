"""Exact matching: equal names match, shared names are ambiguous, nothing else is guessed."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.matching import exact_key, match_exactly, same_name_organizations

ORGANIZATIONS = {
    "org-1": "Contoso Ltd",
    "org-2": "Café Müller",
    "org-3": "Fabrikam",
    "org-4": "Fabrikam",
    "org-5": "Northwind Traders",
    "org-6": "   ",
}


def test_customers_match_organizations_with_exactly_their_name() -> None:
    customers = {
        "c-1": "Contoso Ltd",
        "c-2": unicodedata.normalize("NFD", "Café Müller"),
        "c-3": "  Northwind   Traders ",
    }

    result = match_exactly(customers, ORGANIZATIONS)

    assert result.matched == {"c-1": "org-1", "c-2": "org-2", "c-3": "org-5"}
    assert result.ambiguous == {}
    assert result.unmatched == ()


def test_a_name_two_organizations_share_is_ambiguous_not_guessed() -> None:
    result = match_exactly({"c-1": "Fabrikam"}, ORGANIZATIONS)

    assert result.matched == {}
    assert result.ambiguous == {"c-1": ("org-3", "org-4")}
    assert result.needing_review == ("c-1",)


def test_similar_but_different_names_stay_unmatched() -> None:
    customers = {
        "c-1": "CONTOSO LTD",
        "c-2": "Contoso Ltd.",
        "c-3": "Cafe Muller",
        "c-4": "Contoso Inc",
        "c-5": "",
        "c-6": "  ",
    }

    result = match_exactly(customers, ORGANIZATIONS)

    assert result.matched == {}
    assert result.unmatched == ("c-1", "c-2", "c-3", "c-4", "c-5", "c-6")
    assert result.needing_review == result.unmatched


def test_same_name_organizations_finds_what_creating_would_duplicate() -> None:
    assert same_name_organizations(" Contoso  Ltd", ORGANIZATIONS) == ("org-1",)
    assert same_name_organizations("Fabrikam", ORGANIZATIONS) == ("org-3", "org-4")
    assert same_name_organizations("Contoso Limited", ORGANIZATIONS) == ()
    assert same_name_organizations(" ", ORGANIZATIONS) == ()


# Names drawn from a small alphabet so that equal and nearly equal names are common.
close_names = st.text(alphabet="aAéeE\u0301 &.\u00a0", max_size=6)
directories = st.dictionaries(st.text("0123456789", min_size=1, max_size=3), close_names)


@given(customers=directories, organizations=directories)
def test_exact_matching_never_matches_different_exact_keys(
    customers: dict[str, str], organizations: dict[str, str]
) -> None:
    result = match_exactly(customers, organizations)

    for customer_id, organization_id in result.matched.items():
        assert exact_key(customers[customer_id]) == exact_key(organizations[organization_id])
        assert exact_key(customers[customer_id])
    for customer_id, organization_ids in result.ambiguous.items():
        assert len(organization_ids) > 1
        for organization_id in organization_ids:
            assert exact_key(organizations[organization_id]) == exact_key(customers[customer_id])


@given(customers=directories, organizations=directories)
def test_every_customer_lands_in_exactly_one_outcome(
    customers: dict[str, str], organizations: dict[str, str]
) -> None:
    result = match_exactly(customers, organizations)

    outcomes = [*result.matched, *result.ambiguous, *result.unmatched]
    assert sorted(outcomes) == sorted(customers)
    for customer_id in result.unmatched:
        key = exact_key(customers[customer_id])
        assert not key or all(exact_key(name) != key for name in organizations.values())
