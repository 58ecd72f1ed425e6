"""Cold start on the packaged layout: `import app` from the deployment zip, extracted as Lambda
runs it (no site-packages, no writable bytecode cache), with and without the precompiled bytecode
that `make package` adds (`infra/bytecode.py`), next to its floor: importing exactly the
third-party modules the app loads, and nothing of linkhub's own. Every function of the app imports
`app`, so one figure holds for each of them.

    python -m bench cold_start      # after `make package`
"""

from __future__ import annotations

import os
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
RUNS = 7
OWN = ("app", "chalicelib")
# The third-party modules `import app` loaded, written one per line for the floor to import.
_LOADED = ("import sys; sys.path.insert(0, sys.argv[1]); import app\n"
           "for name in sorted(sys.modules):\n"
           "    if name.split('.')[0] not in {'app', 'chalicelib', '__main__'}: print(name)")


def _python(code: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-1"}
    return subprocess.run([sys.executable, "-S", "-c", code, str(root), *args], cwd=root, env=env,
                          capture_output=True, text=True, check=True)


def _seconds(code: str, root: Path) -> list[float]:
    """Wall seconds of `code` in fresh interpreters, minus an empty interpreter's start."""
    def once(body: str) -> float:
        started = time.perf_counter()
        _python(body, root)
        return time.perf_counter() - started

    empty = min(once("pass") for _ in range(3))
    return [max(once(code) - empty, 0.0) for _ in range(RUNS)]


def _extract(target: Path, keep_bytecode: bool) -> None:
    with zipfile.ZipFile(PACKAGE) as archive:
        for info in archive.infolist():
            if keep_bytecode or not info.filename.endswith(".pyc"):
                archive.extract(info, target)


def measure() -> list[list[object]]:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, keep in (("without bytecode (source only)", False),
                            ("with the package's bytecode", True)):
            root = Path(scratch) / label.split()[0]
            _extract(root, keep)
            app_times = _seconds("import sys; sys.path.insert(0, sys.argv[1]); import app", root)
            modules = _python(_LOADED, root).stdout.split()
            floor_code = ("import importlib, sys; sys.path.insert(0, sys.argv[1])\n"
                          f"for name in {modules!r}:\n"
                          "    try: importlib.import_module(name)\n"
                          "    except ImportError: pass  # cython_runtime and kin: no module\n")
            floor_times = _seconds(floor_code, root)
            ratio = statistics.median(app_times) / statistics.median(floor_times)
            rows.append([f"import app, {label}", min(app_times) * 1000,
                         statistics.median(app_times) * 1000, f"{ratio:.2f}x"])
            rows.append([f"floor: the {len(modules)} third-party modules it loads, {label}",
                         min(floor_times) * 1000, statistics.median(floor_times) * 1000, "1.00x"])
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    if not PACKAGE.exists():
        print("no build/package/deployment.zip: run `make package` first")
        return
    print(table(f"Cold start of every function on the packaged layout ({RUNS} runs each)",
                ["import", "min ms", "median ms", "x floor (median)"], measure()), flush=True)


if __name__ == "__main__":
    main()
