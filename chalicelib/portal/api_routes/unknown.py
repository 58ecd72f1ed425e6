"""Every other path below /api/v1, at any depth: the contract's 404, before any auth.

API Gateway and `chalice local` answer paths no route matches themselves (403 "Missing
Authentication Token", echoing the Authorization header), so catch-all routes cover the unknown
paths around the real ones.
"""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from chalicelib.portal.api_routes import saas
from chalicelib.portal.api_routes.serving import api_route, serve

routes = Blueprint(__name__)
MAX_DEPTH = 6


def unknown_paths(known: tuple[str, ...] = saas.PATHS, max_depth: int = MAX_DEPTH) -> list[str]:
    """Routes that answer every other path with the contract's 404.

    Every resource on the way to a real endpoint gets one; below a resource with no variable
    child, a chain of variables `{pN}` covers each further depth, and the chain's last one,
    `{p6+}`, is greedy: in API Gateway it takes every deeper path too. One variable per level keeps
    the tree valid for API Gateway. `chalice local` (and `chalice.test.Client`) match segment by
    segment, so there the greedy variable takes one segment and a deeper path still gets their
    403; in Lambda, Chalice passes the view only `{name}` variables (its pattern has no `+`), so
    the greedy one is never looked up.
    """
    nodes = {tuple(path.split("/")[:depth]) for path in known
             for depth in range(len(path.split("/")) + 1)}
    endpoints = {tuple(path.split("/")) for path in known}
    found = []
    for node in sorted(nodes):
        if node not in endpoints:
            found.append(node)
        children = [n[-1] for n in nodes if len(n) == len(node) + 1 and n[:-1] == node]
        if not any(child.startswith("{") for child in children):
            found += [node + tuple(_variable(d, max_depth) for d in range(len(node) + 1, depth + 1))
                      for depth in range(len(node) + 1, max_depth + 1)]
    return ["/" + "/".join(segments) for segments in found]


def _variable(depth: int, max_depth: int) -> str:
    return f"{{p{depth}+}}" if depth == max_depth else f"{{p{depth}}}"


def unknown_route(**_: str) -> Response:
    """Any path or method the contract does not have: its 404 body, before any auth."""
    return serve(routes.current_request, "", None, None)


for _path in unknown_paths():
    api_route(routes, _path, name="unknown" + re.sub(r"\W+", "_", _path).rstrip("_"))(
        unknown_route)
