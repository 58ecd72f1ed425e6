"""DynamoDB calls per request, for every page and API route of the hub, the Partner Portal, IT
Docs and the REST API, as a signed-in user (or an API key) on moto. Goal: at most 3, no Scan.

The requests are the ones each product's call-budget tests make (`tests/*/test_calls_per_route.py`:
their worlds, their sign-in, one request per route in steady state); this runs those tests under
pytest with a recorder that notes, for each `tables.counting_calls()` block, the count and the
route the app matched, whatever the test then asserts. Routes of the app that no row reaches are
listed after the table, so a route missing from the tests shows.

    python -m bench route_calls
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench import table

ROOT = Path(__file__).resolve().parent.parent
GOAL = 3
TESTS = {
    "hub": "tests/auth/hub/test_calls_per_route.py",
    "portal": "tests/portal/test_calls_per_route.py",
    "itdocs": "tests/itdocs/test_calls_per_route.py",
    "sso": "tests/auth/sso/test_calls_per_callback.py",
    "web": "tests/web/test_calls_per_route.py",
}
OUT = "LINKHUB_BENCH_ROUTE_CALLS"  # where the recorder writes its rows (JSON)
_rows: list[dict[str, Any]] = []
_outcomes: dict[str, str] = {}


# -- the recorder: a pytest plugin, loaded in the pytest process with `-p bench.route_calls` -----

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """While a test runs, every counting block also records its count and the matched routes."""
    from chalicelib.storage import tables

    matched: list[str] = []
    original = tables.counting_calls
    tables.counting_calls = _recording(original, matched, item.nodeid)
    try:
        with _noting_routes(matched):
            yield
    finally:
        tables.counting_calls = original


@contextmanager
def _noting_routes(matched: list[str]) -> Iterator[None]:
    """Append each request's method, then the route the local gateway matched, to `matched`."""
    from chalice import local

    handle, match = local.LocalGateway.handle_request, local.RouteMatcher.match_route

    def noted_handle(self: Any, method: str, *args: Any, **kwargs: Any) -> Any:
        matched.append(method)
        return handle(self, method, *args, **kwargs)

    def noted_match(self: Any, url: str) -> Any:
        result = match(self, url)
        matched.append(result.route)
        return result

    local.LocalGateway.handle_request = noted_handle  # type: ignore[method-assign]
    local.RouteMatcher.match_route = noted_match  # type: ignore[method-assign]
    try:
        yield
    finally:
        local.LocalGateway.handle_request = handle  # type: ignore[method-assign]
        local.RouteMatcher.match_route = match  # type: ignore[method-assign]


def _recording(original: Callable[[], Any], matched: list[str], test: str) -> Callable[[], Any]:
    """Each block records the requests it made and their calls; a block inside another (a
    request the first one's view makes, e.g. a module's call to the hub's token endpoint) is its
    own row, and its routes and calls are not counted again in the outer row."""
    inner: list[Counter[str]] = []  # per open block, the calls of the blocks nested in it

    @contextmanager
    def recording() -> Iterator[Any]:
        start = len(matched)
        inner.append(Counter())
        with original() as counter:
            yield counter
        nested, routes = inner.pop(), matched[start:]
        del matched[start:]
        if inner:
            inner[-1].update(counter.calls)
        own = Counter(counter.calls)
        own.subtract(nested)
        _rows.append({"test": test, "routes": _pairs(routes), "calls": dict(+own)})
    return recording


def _pairs(matched: list[str]) -> list[str]:
    """'METHOD /route' for each request the block made (a method, then the route it matched)."""
    pairs, method = [], ""
    for entry in matched:
        if entry.startswith("/"):
            pairs.append(f"{method} {entry}")
        else:
            method = entry
    return pairs


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _outcomes[report.nodeid] = report.outcome
    elif report.outcome == "failed":
        _outcomes[report.nodeid] = f"error in {report.when}"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """The rows, each test's outcome, and the app's route table, for the bench to print."""
    target = os.environ.get(OUT)
    if not target:
        return
    from chalicelib.web.route_table import ROUTES

    every = sorted(f"{method} {row.path}" for row in ROUTES for method in row.methods
                   if not _refusal(row.product, row.path, method))
    Path(target).write_text(json.dumps({"rows": _rows, "outcomes": _outcomes, "routes": every}))


def _refusal(product: str, path: str, method: str) -> bool:
    """A route that only answers paths and methods the REST API does not have."""
    from app import products

    view = products.view(product, path, method)
    return str(getattr(view, "__module__", "")).endswith(".unknown")


# -- the bench ------------------------------------------------------------------------------------

def _run_tests(target: Path) -> subprocess.CompletedProcess[str]:
    paths = [path for path in TESTS.values() if (ROOT / path).exists()]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "bench.route_calls", "-p",
               "no:randomly", "-p", "no:cacheprovider", "-m", "not ddblocal and not browser",
               "-n", "0", *paths]
    return subprocess.run(command, cwd=ROOT, env={**os.environ, OUT: str(target)},
                          capture_output=True, text=True, check=False)


def _product(test: str) -> str:
    return next((name for name, path in TESTS.items() if test.startswith(path)), "?")


def _table_rows(recorded: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for row in recorded["rows"]:
        calls: dict[str, int] = row["calls"]
        total, scans = sum(calls.values()), calls.get("Scan", 0)
        case = row["test"].partition("[")[2].rstrip("]") or row["test"].rpartition("::")[2]
        route = ", ".join(row["routes"]) or "(no request)"
        verdict = "holds" if total <= GOAL and scans == 0 else "MISSED"
        rows.append([_product(row["test"]), route, case, total, scans, GOAL, verdict,
                     recorded["outcomes"].get(row["test"], "?")])
    return rows


def _unreached(recorded: dict[str, Any]) -> list[str]:
    """'METHOD /route' of the app's route table that no measured request reached."""
    reached = {pair for row in recorded["rows"] for pair in row["routes"]}
    return sorted(set(recorded["routes"]) - reached)


def _print_unreached(unreached: list[str]) -> None:
    """The routes no measured request reached, one line per path with its methods."""
    if not unreached:
        return
    print(f"{len(unreached)} routes of the app no measured request reaches (no row in "
          "tests/*/test_calls_per_route.py):")
    by_path: dict[str, list[str]] = {}
    for route in unreached:
        method, _, path = route.partition(" ")
        by_path.setdefault(path, []).append(method)
    for path, methods in sorted(by_path.items()):
        print(f"  {path}  {' '.join(methods)}")
    print()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "rows.json"
        done = _run_tests(target)
        if not target.exists():
            print(f"the call-budget tests did not run:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
            return
        recorded = json.loads(target.read_text())
    rows = _table_rows(recorded)
    print(table(f"DynamoDB calls per request, signed in, steady state, on moto (goal <= {GOAL}, "
                "no Scan; the test column says whether the product's own test passed)",
                ["product", "route", "case", "calls", "Scans", "goal", "verdict", "test"],
                rows), flush=True)
    missed = [row for row in rows if row[6] != "holds"]
    print(f"{len(rows)} requests measured, {len(missed)} over the goal, "
          f"{sum(1 for row in rows if row[4])} with a Scan.\n")
    _print_unreached(_unreached(recorded))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
