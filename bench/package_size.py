"""The Lambda deployment package: its size, the biggest dependencies, and what a cold start imports.

Run alone with `python -m bench.package_size`. Measures build/package/deployment.zip when `make
package` has built it; otherwise builds the same zip in memory from this virtualenv (the deployed
requirements and their dependencies, plus app.py and chalicelib/), which is close to the real one.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from collections import defaultdict
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from bench import table

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "build/package/deployment.zip"
MB = 1024 * 1024
LAMBDA_ZIP_LIMIT_MB = 50  # direct upload; through S3 the limit is the unzipped one
LAMBDA_UNZIPPED_LIMIT_MB = 250
TOP = 12
# Packages only some paths need, with where they belong: imported at cold start they cost every
# function's first request.
PATH_ONLY = {
    "numpy": "bulk suggestions only: loaded lazily by chalicelib/matching/similarity_matrix.py",
    "rapidfuzz": "matching names and scores (numpy-free parts load eagerly)",
    "segno": "TOTP enrollment only: import inside chalicelib/auth/hub/totp.py's QR function",
}
# In the zip only if requirements.txt lists chalice (its CLI's dependencies); the Lambda
# runtime needs none of them: chalice vendors its own runtime module into the package.
CLI_ONLY = {"pip", "setuptools", "wheel", "yaml", "click", "blessed", "wcwidth", "jinxed",
            "inquirer", "readchar", "editor", "runs", "xmod", "chalice"}


def _requirements() -> list[str]:
    names = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.append(re.split(r"[\[=<>~! ]", line, maxsplit=1)[0])
    return names


def _closure(names: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        seen.add(name)
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def _estimated_zip() -> bytes:
    """The deployment zip rebuilt in memory from the virtualenv and the app's sources."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(_closure(_requirements())):
            dist = metadata.distribution(name)
            for file in dist.files or []:
                path = Path(str(dist.locate_file(file)))
                if path.is_file() and "__pycache__" not in file.parts and file.parts[0] != "..":
                    archive.write(path, str(file))
        for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*"))]:
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, str(path.relative_to(ROOT)))
    return buffer.getvalue()


def _top_name(entry: str) -> str:
    first = entry.split("/")[0]
    if first.endswith((".dist-info", ".egg-info")):
        first = first.split("-")[0]
    first = first.split(".")[0]  # lone modules and extension files
    return first.removesuffix(".libs").lstrip("_") or first


def sizes(data: bytes) -> tuple[int, int, dict[str, list[int]]]:
    """Compressed and uncompressed totals, and both per top-level name."""
    by_name: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            entry = by_name[_top_name(info.filename)]
            entry[0] += info.compress_size
            entry[1] += info.file_size
    compressed = sum(v[0] for v in by_name.values())
    uncompressed = sum(v[1] for v in by_name.values())
    return compressed, uncompressed, dict(by_name)


def missing_distributions(data: bytes) -> list[str]:
    """Deployed requirements (and their dependencies) with no .dist-info in the zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        folders = {entry.split("/")[0] for entry in archive.namelist()}
    present = {
        folder.removesuffix(".dist-info").rsplit("-", 1)[0].lower().replace("_", "-")
        for folder in folders
        if folder.endswith(".dist-info")
    }
    wanted = _closure(_requirements())
    return sorted(name for name in wanted if name.replace(".", "-") not in present)


OWN = ("app", "chalicelib", "workers")


def entries() -> dict[str, str]:
    """Each function's handler module, as the generated template runs it."""
    from infra import functions

    return {f.name: f.handler.rpartition(".")[0] for f in functions.discover()}


def cold_imports(module: str = "app") -> tuple[float, dict[str, float], dict[str, float]]:
    """`import <module>` in a fresh interpreter: total ms, cumulative ms per third-party
    top-level package, and self ms per linkhub module (its own body: classes, tables built)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    per_package: dict[str, float] = {}
    own: dict[str, float] = {}
    total = 0.0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if not match:
            continue
        own_ms, cumulative, name = int(match.group(1)) / 1000, int(match.group(2)) / 1000, \
            match.group(4)
        if name == module:
            total = cumulative
        if name.split(".")[0] in OWN:
            own[name] = own_ms
        elif "." not in name:
            per_package[name] = max(per_package.get(name, 0.0), cumulative)
    return total, per_package, own


def main() -> None:
    if PACKAGE.exists():
        data, source = PACKAGE.read_bytes(), "build/package/deployment.zip"
    else:
        data, source = _estimated_zip(), "estimated from .venv; `make package` builds the real one"
    compressed, uncompressed, by_name = sizes(data)
    missing = missing_distributions(data)
    if missing:
        print(f"!!! MISSING from the package (the deployed app cannot import them): "
              f"{', '.join(missing)}. chalice found no Lambda-compatible wheel; pin a version that "
              f"has a manylinux2014 wheel for the runtime.\n", flush=True)
    print(table(
        f"Lambda deployment package ({source})",
        ["measure", "MB", "Lambda limit MB"],
        [["zipped", round(compressed / MB, 1), LAMBDA_ZIP_LIMIT_MB],
         ["unzipped", round(uncompressed / MB, 1), LAMBDA_UNZIPPED_LIMIT_MB]],
    ), flush=True)
    biggest = sorted(by_name.items(), key=lambda item: -item[1][1])[:TOP]
    rows = []
    for name, (packed, unpacked) in biggest:
        note = "not needed in Lambda (chalice CLI)" if name in CLI_ONLY else PATH_ONLY.get(name, "")
        rows.append([name, round(packed / MB, 2), round(unpacked / MB, 2), note])
    print(table("Biggest parts", ["name", "zipped MB", "unzipped MB", "note"], rows), flush=True)
    removable = sum(v[0] for k, v in by_name.items() if k in CLI_ONLY)
    if removable:
        print(f"Dropping chalice from requirements.txt (packaging needs it, Lambda does not) "
              f"saves {removable / MB:.1f} MB zipped.\n")

    total, per_package, own = cold_imports()
    heavy = sorted(per_package.items(), key=lambda item: -item[1])[:TOP]
    print(table(
        f"Cold start: `import app` takes {total:.0f} ms here (venv, bytecode cached); the slowest "
        "third-party packages (cumulative)",
        ["package", "ms", "lazy-import suggestion"],
        [[name, round(ms, 1), PATH_ONLY.get(name, "")] for name, ms in heavy],
    ), flush=True)
    slowest_own = sorted(own.items(), key=lambda item: -item[1])[:TOP]
    print(table(
        f"linkhub's own {len(own)} modules cost {sum(own.values()):.0f} ms of their own (module "
        "bodies: model classes, compiled patterns, tables); the slowest",
        ["module", "own ms"], [[name, round(ms, 1)] for name, ms in slowest_own],
    ), flush=True)
    print(table(
        "Cold import per function, its handler module here, one run (the packaged layout, with and "
        "without bytecode, is `bench cold_start`)",
        ["function", "handler module", "ms", "other top-level packages", "linkhub modules"],
        [[function, module, round(ms, 1), len(packages), len(mine)]
         for function, module in entries().items()
         for ms, packages, mine in [cold_imports(module)]],
    ), flush=True)


def check() -> int:
    """`python -m bench.package_size --check`: exit 1 when the built package lacks a requirement."""
    if not PACKAGE.exists():
        print("no build/package/deployment.zip: run `make package`")
        return 1
    missing = missing_distributions(PACKAGE.read_bytes())
    for name in missing:
        print(f"missing from build/package/deployment.zip: {name}")
    return 1 if missing else 0


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        raise SystemExit(check())
    main()
