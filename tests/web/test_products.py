"""The API loads each product on its first request: a cold start imports only what it answers.

`app.py` registers every route from the generated route table with a stand-in; the first request
of a product imports that product. Shown here: what `import app` and a first request load (fresh
interpreters), that the table says exactly what the products' blueprints declare, that parallel
first requests all get the real view, and that a product cannot slip in something that would only
take effect after its first request.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from chalice import Chalice
from chalice.app import Blueprint, Response

from chalicelib.web import products as products_module
from chalicelib.web import route_table
from chalicelib.web.products import PRODUCTS, Products, RouteRow, route_rows

ROOT = Path(__file__).resolve().parents[2]
PAGES_ONLY = {"jinja2", "segno", "argon2"}


def _loaded_after(code: str) -> set[str]:
    """Top-level packages and linkhub modules loaded by `code` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(*sys.modules)"], cwd=ROOT,
        capture_output=True, text=True, check=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "", "AWS_ACCESS_KEY_ID": "t",
             "AWS_SECRET_ACCESS_KEY": "t"})
    names = done.stdout.split()
    return {name for name in names if name.startswith(("chalicelib", "workers"))} | {
        name.split(".")[0] for name in names}


def _any_of(loaded: set[str], packages: set[str]) -> set[str]:
    return {name for name in loaded for package in packages
            if name == package or name.startswith(package + ".")}


def test_importing_the_app_loads_no_product_and_no_worker():
    loaded = _loaded_after("import app")
    assert not _any_of(loaded, set(PRODUCTS.values()) | {"workers", "chalicelib.sync"})
    assert not _any_of(loaded, PAGES_ONLY | {"rapidfuzz", "pynamodb"})


def test_a_rest_api_request_loads_the_rest_api_and_no_page_of_any_product():
    loaded = _loaded_after(
        "from chalice.test import Client\nimport app\n"
        "answer = Client(app.app).http.get('/api/v1/saas/domains')\n"
        "assert answer.status_code == 401, answer.status_code")
    assert "chalicelib.portal.api_routes" in loaded
    assert not _any_of(loaded, {"chalicelib.auth.hub.routes", "chalicelib.portal.routes",
                                "chalicelib.itdocs", "workers", "jinja2", "segno"})


def test_a_hub_page_loads_the_hub_and_not_the_portal_it_docs_or_the_sync():
    loaded = _loaded_after(
        "from chalice.test import Client\nimport app\n"
        "answer = Client(app.app).http.get('/hub/login')\n"
        "assert answer.status_code == 200, answer.status_code")
    assert "chalicelib.auth.hub.routes" in loaded and "jinja2" in loaded
    assert not _any_of(loaded, {"chalicelib.portal.routes", "chalicelib.portal.api_routes",
                                "chalicelib.itdocs", "chalicelib.sync", "workers"})


def test_the_route_table_is_what_the_products_declare():
    assert list(route_table.ROUTES) == route_rows(), "run `python -m infra.build`"


def test_every_route_of_the_table_is_served_by_its_product(client):
    answers = {row.product: client.get(row.path) for row in route_table.ROUTES
               if row.path in {"/", "/hub/login", "/portal/login", "/itdocs/login",
                               "/api/v1/openapi.json"}}
    assert answers["web"].status == 302
    assert {answers[name].status for name in ("hub", "portal", "itdocs", "api")} == {200}


def test_parallel_first_requests_all_reach_the_real_view(monkeypatch):
    blueprint = Blueprint("parallel")

    @blueprint.route("/z")
    def z() -> Response:
        return Response("z")

    _product(monkeypatch, "parallel", blueprint)
    recorded = products_module._record

    def slow_record(product, app):  # a product that takes a while to import
        time.sleep(0.05)
        return recorded(product, app)

    monkeypatch.setattr(products_module, "_record", slow_record)
    products = Products(Chalice(app_name="parallel-first-requests"))
    products.register((RouteRow("parallel", "/z", ("GET",), ("application/json",), "z"),))
    views, errors = [], []

    def first_request() -> None:
        try:
            views.append(products.view("parallel", "/z", "GET"))
        except Exception as exc:  # the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert views == [z] * 8
    assert products.loaded() == frozenset({"parallel"})


def _product(monkeypatch: pytest.MonkeyPatch, name: str, blueprint: Blueprint) -> None:
    """A product `name` whose routes package mounts `blueprint` at the root."""
    module = type(sys)(f"tests.web.{name}_product")
    module.MOUNTS = ((blueprint, None),)  # type: ignore[attr-defined]
    monkeypatch.setitem(PRODUCTS, name, module.__name__)
    monkeypatch.setitem(sys.modules, module.__name__, module)


def test_a_product_registering_middleware_is_refused(monkeypatch):
    blueprint = Blueprint("sneaky")

    @blueprint.middleware("http")
    def sneak(event, get_response):  # would run only after the product's first request
        return get_response(event)

    _product(monkeypatch, "sneaky", blueprint)
    with pytest.raises(TypeError, match="middleware must be registered by app.py"):
        Products(Chalice(app_name="refuses")).load("sneaky")


def test_a_route_with_an_authorizer_cannot_be_registered_lazily(monkeypatch):
    blueprint = Blueprint("authorized")

    @blueprint.route("/y", api_key_required=True)
    def y() -> Response:
        return Response("y")

    _product(monkeypatch, "authorized", blueprint)
    with pytest.raises(TypeError, match="api_key_required"):
        products_module.route_rows()


def test_reading_the_routes_leaves_the_products_serving(client):
    assert client.get("/hub/login").status == 200  # the hub loaded, its blueprints on the app
    assert any(row.path == "/hub/login" for row in route_rows())
    assert client.get("/hub/login").status == 200
