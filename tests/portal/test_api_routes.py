"""The /api/v1 route table: valid for API Gateway, and every unknown path has a route."""

from __future__ import annotations

from collections import defaultdict

from chalicelib.portal.api_routes.unknown import unknown_paths


def _api_routes() -> list[str]:
    from app import app

    return [path for path in app.routes if path == "/api/v1" or path.startswith("/api/v1/")]


def test_each_resource_has_at_most_one_variable_child_as_api_gateway_requires():
    variables = defaultdict(set)
    for path in _api_routes():
        segments = path.split("/")
        for depth in range(1, len(segments)):
            if segments[depth].startswith("{"):
                variables["/".join(segments[:depth])].add(segments[depth])
    assert {parent: names for parent, names in variables.items() if len(names) > 1} == {}


def test_greedy_parameters_only_end_six_segment_chains_and_no_trailing_slashes():
    """Issue 16 item 7: `{p6+}` takes every deeper path in API Gateway (it was 403 before)."""
    for path in _api_routes():
        assert not path.endswith("/")
        segments = path.split("/")[3:]  # below /api/v1
        greedy = [i for i, segment in enumerate(segments) if segment.endswith("+}")]
        assert greedy in ([], [5]) and (not greedy or len(segments) == 6), path


def test_every_six_segment_route_is_greedy_so_no_deeper_path_is_left_to_api_gateway():
    six_deep = [path for path in _api_routes() if len(path.split("/")[3:]) == 6]
    assert six_deep and all(path.endswith("+}") for path in six_deep)


def test_unknown_paths_reach_every_depth_around_the_endpoints():
    paths = set(unknown_paths())
    assert "/{p1}/{p2}/{p3}/{p4}/{p5}/{p6+}" in paths
    assert "/saas/{saasCustomerId}/{externalSubscriptionId}" in paths
    assert "/saas/domains" not in paths and "/saas/{saasCustomerId}/seats" not in paths
