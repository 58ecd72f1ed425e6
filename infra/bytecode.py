"""Finish the deployment package: the scheduled and queue functions' entry modules, and the
bytecode of every module a cold start loads.

`chalice package` zips only app.py and chalicelib/; the template points the scheduled and queue
functions at their own entry modules (the `workers` package, which imports only what each needs),
so this adds that package to the zip first.

`/var/task` is read-only on Lambda, so a package of `.py` files alone is compiled again on every
cold start. This adds `__pycache__/<module>.cpython-<version>.pyc` next to each module that
`import app`, the first request of each product and each worker load from the package (found by
importing them from the extracted package alone, with no site-packages), compiled with
`unchecked-hash` invalidation (Python loads it without comparing timestamps, which a zip's
extraction would not keep). Modules only some paths load (numpy for bulk suggestions, segno for QR
codes) stay source-only: compiling all 1,000+ files would push the zip past Lambda's 50 MB
direct-upload size. The compiling interpreter must be the runtime's (3.11 here and in the Lambda
runtime chalice packages for).

    python -m infra.bytecode build/package/deployment.zip
"""

from __future__ import annotations

import os
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY_PACKAGES = (ROOT / "workers",)


def precompile(package: Path, add: Sequence[Path] = ()) -> int:
    """Rewrite `package` with the packages `add` (their .py files, at the zip's root) and bytecode
    beside every module a cold start loads; returns how many modules were compiled."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        with zipfile.ZipFile(package) as archive:
            archive.extractall(root)
            modes = {info.filename: info.external_attr for info in archive.infolist()}
        for source_package in add:
            _copy_sources(source_package, root / source_package.name)
        for source in cold_start_modules(root):
            py_compile.compile(str(source), doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        compiled = _rezip(root, package, modes)
    return compiled


def _copy_sources(source: Path, target: Path) -> None:
    """The package's .py files (no bytecode of this machine's), as the files chalice zips."""
    for path in sorted(source.rglob("*.py")):
        if "__pycache__" not in path.parts:
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())


# Prints the file of every module loaded from the package directory by `import app`, every
# product's first request and every worker app.py names (all loaded on first use).
_LIST_MODULES = (
    "import sys; root = sys.argv[1]; sys.path.insert(0, root); import app\n"
    "if hasattr(app, 'products'): app.products.load_all()\n"
    "for value in list(vars(app).values()):\n"
    "    if type(value).__name__ == 'LazyModule': value.load()\n"
    "for m in list(sys.modules.values()):\n"
    "    f = getattr(m, '__file__', None) or ''\n"
    "    if f.startswith(root) and f.endswith('.py'): print(f)"
)


def cold_start_modules(root: Path) -> list[Path]:
    """The package's modules the API and the workers load, importing from `root` alone."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-S", "-c", _LIST_MODULES, str(root)], cwd=root,
                          env=env, capture_output=True, text=True, check=True)
    return [Path(line) for line in done.stdout.splitlines()]


def _rezip(root: Path, package: Path, modes: dict[str, int]) -> int:
    """Zip `root` back into `package` (keeping each file's mode); returns the .pyc count."""
    compiled = 0
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = modes.get(name, 0o644 << 16)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
            compiled += name.endswith(".pyc")
    return compiled


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m infra.bytecode <deployment.zip>")
        return 2
    compiled = precompile(Path(argv[0]), add=ENTRY_PACKAGES)
    print(f"entry package added and {compiled} modules precompiled into {argv[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
