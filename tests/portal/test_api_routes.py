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


def test_no_greedy_parameters_and_no_trailing_slashes():
    for path in _api_routes():
        assert "+}" not in path and not path.endswith("/")


def test_unknown_paths_reach_every_depth_around_the_endpoints():
    paths = set(unknown_paths())
    assert "/{p1}/{p2}/{p3}/{p4}/{p5}/{p6}" in paths
    assert "/saas/{saasCustomerId}/{externalSubscriptionId}" in paths
    assert "/saas/domains" not in paths and "/saas/{saasCustomerId}/seats" not in paths
