"""Every other path below /api/v1 (up to six segments): the contract's 404, before any auth.

API Gateway and `chalice local` answer paths no route matches themselves (403 "Missing
Authentication Token"), so catch-all routes cover the unknown paths around the real ones.
"""

from __future__ import annotations

import re

from chalice.app import Blueprint, Response

from chalicelib.portal.api_routes import saas
from chalicelib.portal.api_routes.serving import api_route, serve

routes = Blueprint(__name__)
MAX_DEPTH = 6


def unknown_paths(known: tuple[str, ...] = saas.PATHS, max_depth: int = MAX_DEPTH) -> list[str]:
    """Routes that answer every other path up to `max_depth` segments with the contract's 404.

    Every resource on the way to a real endpoint gets one; below a resource with no variable
    child, a chain of variables `{pN}` covers each further depth. One variable name per level
    keeps the tree valid for API Gateway, and unlike a greedy `{proxy+}` it works the same in
    `chalice local` (which matches segment by segment) and in Lambda (whose greedy parameter name
    Chalice would look up with its `+`).
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
            found += [node + tuple(f"{{p{d}}}" for d in range(len(node) + 1, depth + 1))
                      for depth in range(len(node) + 1, max_depth + 1)]
    return ["/" + "/".join(segments) for segments in found]


def unknown_route(**_: str) -> Response:
    """Any path or method the contract does not have: its 404 body, before any auth."""
    return serve(routes.current_request, "", None, None)


for _path in unknown_paths():
    api_route(routes, _path, name="unknown" + re.sub(r"\W+", "_", _path).rstrip("_"))(
        unknown_route)
