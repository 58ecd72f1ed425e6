"""Route decorators: every page and JSON view gets its path values checked and its errors mapped
in this one place.

Each `{name}` in a route's path has a kind in `web.params.KINDS` (declaring a route with an
unknown name fails at import), and a value of the wrong shape is a 404 before the view runs.
Chalice middleware does not see exceptions from views (they are already responses), so the
mapping wraps each view here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import errors
from chalicelib.web import errors as web_errors
from chalicelib.web import params as path_params
from chalicelib.web.page import Page

FORM_TYPES = ["application/x-www-form-urlencoded", "application/json", "multipart/form-data"]


def page_route(
    bp: Blueprint, path: str, scope: str, methods: Sequence[str] = ("GET",)
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """An HTML view: receives a `Page`; domain errors become error pages."""
    kinds = path_params.kinds_for(path)

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(**params: Any) -> Response:
            page = Page(bp.current_request, scope)
            try:
                path_params.check(kinds, params)
                return view(page, **params)
            except errors.LinkhubError as error:
                return web_errors.error_page(page, error)
            except Exception as exc:  # the last line of defence: no trace reaches a user
                return web_errors.unexpected(page, exc)

        bp.route(path, methods=list(methods), content_types=FORM_TYPES)(handler)
        return view

    return decorate


def json_route(
    bp: Blueprint,
    path: str,
    methods: Sequence[str] = ("GET",),
    error_body: Callable[[errors.LinkhubError], Response] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A JSON view: receives the Chalice request; domain errors become JSON error bodies."""
    to_response = error_body or web_errors.json_error
    kinds = path_params.kinds_for(path)

    def decorate(view: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(view)
        def handler(**params: Any) -> Response:
            try:
                path_params.check(kinds, params)
                return view(bp.current_request, **params)
            except errors.LinkhubError as error:
                return to_response(error)
            except Exception as exc:
                return web_errors.unexpected(None, exc, as_json=True)

        bp.route(path, methods=list(methods), content_types=FORM_TYPES)(handler)
        return view

    return decorate
