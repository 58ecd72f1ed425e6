"""Cold start of each function on the packaged layout, next to its floor.

Each function's handler module (`app` for the API, its entry in `workers/` for each scheduled and
queue function, as the packaged template says) is imported from the deployment zip extracted as
Lambda runs it (no site-packages, no writable bytecode cache), with and without the precompiled
bytecode `make package` adds (`infra/bytecode.py`). The floor is that function's exact set of
third-party modules (everything it loads that is not linkhub's own), imported from the same
extracted package with its bytecode, and nothing of linkhub's. The goals: each function's cold
import at most 0.35 s, and at most 1.2x its floor.

`import app` loads no product: the API's first request of a product imports it. So the API has a
row per product as well, `import app` then what that product's first request loads, against the
floor of the third-party modules loaded by then: what a cold request of that product pays.

Each figure is the child interpreter's CPU time (user + system), less an empty interpreter's: an
import is one thread of CPU work and file reads, and on a shared machine its wall time mostly
measures the other processes. The wall-clock median is printed beside it.

    python -m bench cold_start      # after `make package`
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from bench import table

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "build/package/deployment.zip"
TEMPLATE = ROOT / "build/package/sam.json"
RUNS = 7
GOAL_SECONDS = 0.35
GOAL_RATIO = 1.2
OWN = {"app", "chalicelib", "workers", "__main__"}
_IMPORT = "import sys; sys.path.insert(0, sys.argv[1]); {statement}"
# The third-party modules the import loaded, written one per line for the floor to import.
_LOADED = (_IMPORT + "\nfor name in sorted(sys.modules):\n"
           f"    if name.split('.')[0] not in {sorted(OWN)!r}: print(name)")
# The API's first request of each product imports that product (chalicelib/web/products.py).
FIRST_REQUESTS = ("web", "hub", "portal", "api", "itdocs")
_FLOOR = ("import importlib, sys; sys.path.insert(0, sys.argv[1])\n"
          "for name in {modules!r}:\n"
          "    try: importlib.import_module(name)\n"
          "    except ImportError: pass  # cython_runtime and kin: no module to import\n")


def handlers() -> list[tuple[str, str]]:
    """(function, handler module) for each function of the packaged template."""
    resources = json.loads(TEMPLATE.read_text())["Resources"]
    found = [(name, str(r["Properties"]["Handler"]).rpartition(".")[0])
             for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"]
    return sorted(found, key=lambda item: (item[0] != "APIHandler", item[0]))


def _python(code: str, root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run([sys.executable, "-S", "-c", code, str(root)], cwd=root, env=env,
                          capture_output=True, text=True, check=True)


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _once(code: str, root: Path) -> tuple[float, float]:
    """CPU and wall seconds of one fresh interpreter running `code`."""
    cpu, started = _cpu(), time.perf_counter()
    _python(code, root)
    return _cpu() - cpu, time.perf_counter() - started


def _seconds(code: str, root: Path, empty: tuple[float, float]) -> tuple[list[float], float]:
    """CPU seconds of `code` in fresh interpreters, and their median wall seconds, each less an
    empty interpreter's."""
    runs = [_once(code, root) for _ in range(RUNS)]
    wall = statistics.median(max(w - empty[1], 0.0) for _, w in runs)
    return [max(c - empty[0], 0.0) for c, _ in runs], wall


def _empty(root: Path) -> tuple[float, float]:
    runs = [_once("pass", root) for _ in range(5)]
    return min(c for c, _ in runs), min(w for _, w in runs)


def _extract(target: Path, keep_bytecode: bool) -> None:
    with zipfile.ZipFile(PACKAGE) as archive:
        for info in archive.infolist():
            if keep_bytecode or not info.filename.endswith(".pyc"):
                archive.extract(info, target)


def _row(function: str, statement: str, source: Path, compiled: Path) -> list[object]:
    empty = _empty(compiled)
    code = _IMPORT.format(statement=statement)
    without, _ = _seconds(code, source, empty)
    with_bytecode, wall = _seconds(code, compiled, empty)
    modules = _python(_LOADED.format(statement=statement), compiled).stdout.split()
    floor, _ = _seconds(_FLOOR.format(modules=modules), compiled, empty)
    median = statistics.median(with_bytecode)
    ratio = median / statistics.median(floor)
    verdict = "holds" if median <= GOAL_SECONDS and ratio <= GOAL_RATIO else "MISSED"
    return [function, statement, statistics.median(without) * 1000, min(with_bytecode) * 1000,
            median * 1000, wall * 1000, len(modules), statistics.median(floor) * 1000,
            f"{ratio:.2f}x", verdict]


def statements() -> list[tuple[str, str]]:
    """(function, what its cold start runs): each handler's import, and for the API also its
    import followed by the first request of each product (what that request loads)."""
    found = [(function, f"import {module}") for function, module in handlers()]
    api = [(function, module) for function, module in handlers() if module == "app"]
    for function, _ in api:
        found[1:1] = [(f"{function}, first {product} request",
                       f"import app; app.products.load({product!r})")
                      for product in FIRST_REQUESTS]
    return found


def measure() -> list[list[object]]:
    """One row per function (and per first request of the API): cold, with bytecode, floor."""
    with tempfile.TemporaryDirectory() as scratch:
        source, compiled = Path(scratch) / "source", Path(scratch) / "compiled"
        _extract(source, keep_bytecode=False)
        _extract(compiled, keep_bytecode=True)
        return [_row(function, statement, source, compiled)
                for function, statement in statements()]


def main(argv: Sequence[str] | None = None) -> None:
    if not PACKAGE.exists() or not TEMPLATE.exists():
        print("no build/package/deployment.zip and sam.json: run `make package` first")
        return
    print(table(
        f"Cold import of each function on the packaged layout (CPU ms unless marked wall, {RUNS} "
        "runs each, medians; floor: the function's own third-party modules, with bytecode; goal "
        f"<= {GOAL_SECONDS * 1000:.0f} ms and <= {GOAL_RATIO}x floor)",
        ["function", "cold start runs", "source only", "bytecode min", "bytecode", "bytecode wall",
         "3rd-party modules", "floor", "x floor", "verdict"],
        measure()), flush=True)


if __name__ == "__main__":
    main()
