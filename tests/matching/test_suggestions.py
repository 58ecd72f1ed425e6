"""Suggested matches, the "Match To" alternatives, the duplicate warning and the search box."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from chalicelib.matching import (
    ALTERNATIVE_FLOOR,
    SUGGESTION_THRESHOLD,
    Candidate,
    OrganizationIndex,
    name_score,
    search,
    similar_names,
    suggest_matches,
    suggestion_key,
)
from chalicelib.matching.scoring import compare_forms, rounded

ORGANIZATIONS = {
    "org-contoso": "Contoso, LLC",
    "org-cafe": "Cafe Muller",
    "org-dental": "Jones and Smith Dental",
    "org-south": "South Star Legal",
    "org-east": "Contoso East",
    "org-fabrikam": "Fabrikam Holdings",
    "org-northwind": "Northwind Traders",
    "org-tailspin-1": "Tailspin Toys Inc.",
    "org-tailspin-2": "Tailspin Toys Ltd",
}


def test_each_customer_gets_its_organization_suggested_with_a_score() -> None:
    customers = {
        "c-contoso": "Contoso Inc.",
        "c-cafe": "Café Müller",
        "c-dental": "Smith & Jones Dental",
        "c-northwind": "Northwind Trader",
    }

    suggestions = suggest_matches(customers, ORGANIZATIONS)

    suggested = {
        cid: (s.suggested.organization_id, s.suggested.score)
        for cid, s in suggestions.items()
        if s.suggested
    }
    assert suggested == {
        "c-contoso": ("org-contoso", 100),
        "c-cafe": ("org-cafe", 100),
        "c-dental": ("org-dental", 100),
        "c-northwind": ("org-northwind", 92),
    }
    assert all(suggestions[cid].auto_acceptable for cid in customers)


def test_a_look_alike_is_offered_as_an_alternative_but_not_suggested() -> None:
    suggestions = suggest_matches({"c-1": "North Star Legal", "c-2": "Fabrikam"}, ORGANIZATIONS)

    assert suggestions["c-1"].suggested is None
    assert suggestions["c-1"].auto_acceptable is False
    assert suggestions["c-1"].alternatives == (Candidate("org-south", "South Star Legal", 60),)
    assert suggestions["c-2"].suggested is None
    assert [c.organization_id for c in suggestions["c-2"].alternatives] == ["org-fabrikam"]


def test_two_organizations_tied_for_best_are_shown_but_never_accepted_automatically() -> None:
    suggestions = suggest_matches({"c-1": "tailspin toys ltd"}, ORGANIZATIONS)

    ranking = suggestions["c-1"]
    assert ranking.tied
    assert ranking.suggested == Candidate("org-tailspin-2", "Tailspin Toys Ltd", 100)
    assert ranking.alternatives[0] == Candidate("org-tailspin-1", "Tailspin Toys Inc.", 100)
    assert not ranking.auto_acceptable


def test_a_typo_that_reorders_sorted_words_is_still_found_among_many_look_alikes() -> None:
    decoys = {
        f"decoy-{n}": f"Family Medicine {word}"
        for n, word in enumerate(
            ["Mead", "Moor", "Mill", "Mesa", "Main", "Mall", "Mast", "Mayo", "Mint", "Moss", "Muir"]
        )
    }
    organizations = decoys | {"org-meadowbrook": "Meadowbrook Family Medicine"}

    ranking = suggest_matches({"c-1": "MMeadowbrook Family Medicine"}, organizations)["c-1"]

    assert ranking.suggested == Candidate("org-meadowbrook", "Meadowbrook Family Medicine", 96)


def test_once_suggested_look_alikes_only_as_written_are_not_listed() -> None:
    organizations = {"org-west": "West Legal", "org-east": "East Legal"}

    suggested = suggest_matches({"c-1": "West Legal"}, organizations)["c-1"]
    unsuggested = suggest_matches({"c-1": "West Legall"}, {"org-east": "East Legal"})["c-1"]

    assert suggested.candidates == (Candidate("org-west", "West Legal", 100),)
    assert unsuggested.alternatives == (Candidate("org-east", "East Legal", 75),)


def test_customers_without_a_comparable_name_get_no_candidates() -> None:
    suggestions = suggest_matches({"c-1": "", "c-2": "&", "c-3": "Zyxwvut"}, ORGANIZATIONS)

    assert {cid: s.candidates for cid, s in suggestions.items()} == {
        "c-1": (),
        "c-2": (),
        "c-3": (),
    }


def test_no_organizations_means_no_suggestions() -> None:
    suggestions = suggest_matches({"c-1": "Contoso"}, {})

    assert suggestions["c-1"].candidates == ()
    assert suggest_matches({}, ORGANIZATIONS) == {}


def test_the_threshold_and_limit_can_be_chosen_by_the_caller() -> None:
    customers = {"c-1": "Contoso"}

    strict = suggest_matches(customers, ORGANIZATIONS, threshold=101)["c-1"]
    short = suggest_matches(customers, ORGANIZATIONS, limit=1)["c-1"]

    assert strict.suggested is None
    assert strict.alternatives[0].organization_id == "org-contoso"
    assert len(short.candidates) == 1


def test_an_index_ranks_like_the_mapping_it_was_built_from_in_any_slice_size() -> None:
    customers = {f"c-{n}": name for n, name in enumerate(ORGANIZATIONS.values())}
    customers |= {"c-x": "Contoso Est", "c-y": "Tailspin"}

    from_mapping = suggest_matches(customers, ORGANIZATIONS)
    from_index = suggest_matches(customers, OrganizationIndex(ORGANIZATIONS), chunk_cells=1)
    one_thread = suggest_matches(customers, ORGANIZATIONS, workers=1, chunk_cells=20)

    assert from_mapping == from_index == one_thread


small_names = st.lists(
    st.sampled_from(
        [
            "north",
            "south",
            "star",
            "legal",
            "smith",
            "smyth",
            "and",
            "Inc",
            "LLC",
            "cafe",
            "café",
            "contoso",
            "contosso",
            "east",
            "west",
            "dental",
            "lab",
        ]
    ),
    min_size=1,
    max_size=4,
).map(" ".join)


def test_a_pair_whose_score_rounds_up_to_the_floor_is_listed() -> None:
    # Found by the property below: fuzz.ratio is 59.6 on the sorted words, which rounds to 60.
    customers = {"a": "north contosso contosso"}
    organizations = {"0": "south south cafe contoso"}
    assert name_score(customers["a"], organizations["0"]) == ALTERNATIVE_FLOOR
    listed = suggest_matches(customers, organizations, limit=3)["a"].candidates
    assert [c.organization_id for c in listed] == ["0"]


@settings(max_examples=200, deadline=None)
@given(
    customers=st.dictionaries(st.sampled_from("abcdef"), small_names, max_size=4),
    organizations=st.dictionaries(st.sampled_from("0123456789"), small_names, max_size=8),
)
def test_bulk_ranking_agrees_with_pairwise_scores(
    customers: dict[str, str], organizations: dict[str, str]
) -> None:
    suggestions = suggest_matches(customers, organizations, limit=3)

    for customer_id, name in customers.items():
        ranking = suggestions[customer_id]
        listed = {c.organization_id: c.score for c in ranking.candidates}
        for organization_id, score in listed.items():
            assert score == name_score(name, organizations[organization_id])
        scores = [c.score for c in ranking.candidates]
        assert scores == sorted(scores, reverse=True)
        top = scores[0] if scores else -1
        # Nothing left out beats what is listed. The one exception, by design: once a customer
        # has a suggestion, organizations alike only as written (not by sorted words) are not
        # looked for.
        for oid, other in organizations.items():
            score = name_score(name, other)
            if oid in listed or score < ALTERNATIVE_FLOOR:
                continue
            listed_full = len(scores) == 3 and score <= scores[-1]
            alike_only_as_written = ranking.suggested is not None and (
                sorted_similarity(name, other) < ALTERNATIVE_FLOOR
            )
            assert listed_full or alike_only_as_written
        assert all(score >= ALTERNATIVE_FLOOR for score in scores)
        if ranking.suggested:
            assert ranking.suggested.score >= SUGGESTION_THRESHOLD
        best = [other for other in organizations.values() if name_score(name, other) == top]
        unseen = [other for other in best if sorted_similarity(name, other) < ALTERNATIVE_FLOOR]
        if scores and not (ranking.suggested and unseen):
            assert ranking.tied == (len(best) > 1)


def sorted_similarity(one: str, other: str) -> int:
    """token_sort_ratio of two names' compare forms, as the first shortlist sees them."""
    forms_one, forms_other = (
        compare_forms(suggestion_key(one)),
        compare_forms(suggestion_key(other)),
    )
    return rounded(fuzz.ratio(forms_one.alphabetical, forms_other.alphabetical))


def test_creating_an_organization_warns_about_similar_existing_names() -> None:
    warning = similar_names("Contoso", ORGANIZATIONS)

    assert [c.organization_id for c in warning] == ["org-contoso", "org-east"]
    assert warning[0].score == 100


def test_the_warning_lists_an_exact_duplicate_first_at_100() -> None:
    warning = similar_names("Tailspin Toys Ltd", ORGANIZATIONS)

    assert warning[0] == Candidate("org-tailspin-2", "Tailspin Toys Ltd", 100)
    assert {c.organization_id for c in warning} >= {"org-tailspin-1"}


def test_a_new_name_unlike_any_other_gets_no_warning() -> None:
    assert similar_names("Zyxwvut Robotics", ORGANIZATIONS) == []
    assert similar_names("", ORGANIZATIONS) == []


def test_search_finds_organizations_by_part_of_their_name() -> None:
    found = search("conto", ORGANIZATIONS)

    assert [c.organization_id for c in found][:2] == ["org-contoso", "org-east"]


def test_search_matches_words_in_any_order_and_tolerates_a_typo() -> None:
    assert search("star south", ORGANIZATIONS)[0].organization_id == "org-south"
    assert search("Northwnd", ORGANIZATIONS)[0].organization_id == "org-northwind"


def test_search_with_nothing_typed_or_nothing_similar_finds_nothing() -> None:
    assert search("  ", ORGANIZATIONS) == []
    assert search("qqqq", ORGANIZATIONS) == []


def test_search_honours_its_limit() -> None:
    assert len(search("t", ORGANIZATIONS, limit=2)) == 2
