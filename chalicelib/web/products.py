"""The API's routes by product, each product's code imported on its first request.

Importing every product (the hub, the Partner Portal's pages, its REST API, IT Docs) before the
API function answers anything made its cold start load every page template, model and service.
`app.py` registers every route from `route_table.ROUTES` with a stand-in view instead; the first
request of a product imports that product's routes package, records its real views, and each
request then calls its real view through the stand-in. A REST API request loads no page template
or IT Docs code; a hub page loads no sync.

`route_table.py` is generated from the products' own blueprints by `python -m infra.build`, which
also fails (`--check`, run by `make test`) when it no longer matches them. `infra/functions.py`
counts every product in the API function's reach, as if imported.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from chalice import Chalice
from chalice.app import Blueprint, Response

PRODUCTS: dict[str, str] = {
    "web": "chalicelib.web.routes",
    "hub": "chalicelib.auth.hub.routes",
    "portal": "chalicelib.portal.routes",
    "api": "chalicelib.portal.api_routes",
    "itdocs": "chalicelib.itdocs.routes",
}
"""Each product's routes package, whose MOUNTS are its (blueprint, URL prefix) pairs."""

API_PREFIX = "/api/v1"
"""Where the REST API is served; its answers are framed by its own middleware."""

View = Callable[..., Response]
DEFAULT_CONTENT_TYPES = ("application/json",)  # Chalice's, for a route that names none


class RouteRow(NamedTuple):
    """One path of a product with its methods, accepted body types and view name."""

    product: str
    path: str
    methods: tuple[str, ...]
    content_types: tuple[str, ...]
    name: str


class _Recorder:
    """What a blueprint registers with, instead of the app: notes each route's view.

    The blueprint's `current_request` and kin reach the real app through it. Anything but a plain
    route (middleware, authorizers, event handlers) is refused: registered lazily, it would take
    effect only after the product's first request.
    """

    def __init__(self, app: Chalice | None, product: str) -> None:
        self._app = app
        self.product = product
        self.views: dict[tuple[str, str], View] = {}
        self.rows: list[RouteRow] = []

    def __getattr__(self, name: str) -> Any:
        if self._app is None:
            raise AttributeError(name)
        return getattr(self._app, name)

    def register_middleware(self, func: Callable[..., Any], event_type: str = "all") -> None:
        raise TypeError(f"{self.product}: middleware must be registered by app.py")

    def _register_handler(self, handler_type: str, name: str, user_handler: View,
                          wrapped_handler: Any, kwargs: dict[str, Any],
                          options: dict[str, Any] | None = None) -> None:
        route = dict(kwargs.get("kwargs", {}))  # a copy: the blueprint keeps its own
        unsupported = set(route) - {"methods", "content_types"}
        if handler_type != "route" or unsupported:
            raise TypeError(f"{self.product}: {handler_type} {name} {sorted(unsupported)} cannot "
                            "be registered lazily")
        path = _prefixed((options or {}).get("url_prefix"), kwargs["path"])
        methods = tuple(route.get("methods", ["GET"]))
        self.rows.append(RouteRow(self.product, path, methods,
                                  tuple(route.get("content_types", DEFAULT_CONTENT_TYPES)), name))
        for method in methods:
            self.views[(path, method)] = user_handler


def _prefixed(url_prefix: str | None, path: str) -> str:
    """The path Chalice registers a blueprint route under (its own joining rule)."""
    if url_prefix is None:
        return path
    return "/".join([url_prefix.rstrip("/"), path.strip("/")]).rstrip("/")


def _record(product: str, app: Chalice | None) -> _Recorder:
    """Import `product` and register its blueprints with a recorder.

    Without an app (reading the routes only), each blueprint keeps the app it had: Blueprint
    has no public way to read it, hence the private attribute.
    """
    recorder = _Recorder(app, product)
    module = importlib.import_module(PRODUCTS[product])
    mounts: tuple[tuple[Blueprint, str | None], ...] = module.MOUNTS
    for blueprint, prefix in mounts:
        had = blueprint._current_app
        options = {"name_prefix": None, "url_prefix": prefix}
        blueprint.register(recorder, options)  # type: ignore[arg-type]
        if app is None:
            blueprint._current_app = had
    return recorder


def route_rows() -> list[RouteRow]:
    """Every product's routes as its blueprints declare them (what route_table.py must say)."""
    return [row for product in PRODUCTS for row in _record(product, None).rows]


def is_api_request(request: Any) -> bool:
    """True for a request under the REST API's prefix (whichever product it reaches)."""
    path = str(request.path)
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class PerThreadChalice(Chalice):
    """Chalice whose current request (and Lambda context) belong to the thread serving it.

    Chalice keeps them on the app, so two requests served at once (`chalice local` serves each
    on a thread of its own, as does the in-process REST API the sync's tests and bench call)
    would each see whichever request began last.
    """

    def __init__(self, app_name: str, **options: Any) -> None:
        self._serving = threading.local()
        super().__init__(app_name, **options)

    @property  # type: ignore[override]
    def current_request(self) -> Any:
        return getattr(self._serving, "request", None)

    @current_request.setter
    def current_request(self, request: Any) -> None:
        self._serving.request = request

    @property  # type: ignore[override]
    def lambda_context(self) -> Any:
        return getattr(self._serving, "context", None)

    @lambda_context.setter
    def lambda_context(self, context: Any) -> None:
        self._serving.context = context


class Products:
    """The app's routes, registered from the route table, each product loaded when first asked."""

    def __init__(self, app: Chalice) -> None:
        self._app = app
        self._views: dict[tuple[str, str], View] = {}
        self._loaded: set[str] = set()
        self._lock = threading.Lock()

    def register(self, rows: tuple[RouteRow, ...]) -> None:
        """A stand-in view for every route of the table."""
        for row in rows:
            self._app.route(row.path, methods=list(row.methods), name=row.name,
                            content_types=list(row.content_types))(self._stand_in(row))

    def _stand_in(self, row: RouteRow) -> View:
        def stand_in(**params: Any) -> Response:
            request = self._app.current_request  # set by Chalice before it calls a view
            method = request.method if request is not None else row.methods[0]
            return self.view(row.product, row.path, method)(**params)

        stand_in.__name__ = row.name.rpartition(".")[2]
        return stand_in

    def view(self, product: str, path: str, method: str) -> View:
        """The product's real view for this route (the product imported on first use)."""
        found = self._views.get((path, method))
        if found is None:
            self.load(product)
            found = self._views[(path, method)]
        return found

    def load(self, product: str) -> None:
        """Import a product and record its views, once (requests may arrive on threads)."""
        with self._lock:
            if product in self._loaded:
                return
            self._views.update(_record(product, self._app).views)
            self._loaded.add(product)

    def load_all(self) -> None:
        """Every product (to precompile what any first request loads)."""
        for product in PRODUCTS:
            self.load(product)

    def loaded(self) -> frozenset[str]:
        return frozenset(self._loaded)
