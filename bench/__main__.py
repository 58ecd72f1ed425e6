"""`python -m bench [name ...]`: every benchmark module's `main()` in bench/, or the named ones."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def benchmark_names() -> list[str]:
    """Modules of this package that have a `main()`, in name order."""
    names = []
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        if callable(getattr(importlib.import_module(f"bench.{info.name}"), "main", None)):
            names.append(info.name)
    return names


def main(argv: list[str]) -> int:
    chosen = argv or benchmark_names()
    unknown = sorted(set(chosen) - set(benchmark_names()))
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (have: {', '.join(benchmark_names())})")
        return 2
    for name in chosen:
        started = time.perf_counter()
        print(f"=== bench.{name} " + "=" * max(0, 70 - len(name)), flush=True)
        importlib.import_module(f"bench.{name}").main()
        print(f"(bench.{name} took {time.perf_counter() - started:.1f}s)\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
