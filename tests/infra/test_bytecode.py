"""`make package` precompiles what a cold start loads into the deployment zip (`infra/bytecode`)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

from infra import bytecode

TAG = sys.implementation.cache_tag


def _package(tmp_path: Path) -> Path:
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "import lib.used\nANSWER = lib.used.VALUE\n")
        archive.writestr("lib/__init__.py", "")
        archive.writestr("lib/used.py", "VALUE = 42\n")
        archive.writestr("lib/path_only.py", "import json\n")  # loaded by some paths only
    return package


def test_the_modules_a_cold_start_loads_get_unchecked_bytecode_and_still_import(tmp_path):
    package = _package(tmp_path)

    assert bytecode.precompile(package) == 3

    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        compiled = archive.read(f"lib/__pycache__/used.{TAG}.pyc")
    assert {f"__pycache__/app.{TAG}.pyc", f"lib/__pycache__/__init__.{TAG}.pyc"} <= names
    assert not any(name.startswith("lib/__pycache__/path_only.") for name in names)
    # flags word: bit 0 = hash-based, bit 1 = check source; unchecked-hash is 0b01
    assert int.from_bytes(compiled[4:8], "little") == 0b01
    assert compiled[:4] == importlib.util.MAGIC_NUMBER

    extracted = tmp_path / "task"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(extracted)
    (extracted / "lib/used.py").write_text("VALUE = 'source read'\n")  # unchecked: never read
    done = subprocess.run([sys.executable, "-S", "-c", "import app; print(app.ANSWER)"],
                          cwd=extracted, capture_output=True, text=True, check=True,
                          env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert done.stdout.strip() == "42"


def test_an_entry_package_chalice_does_not_zip_is_added_with_its_bytecode(tmp_path):
    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("app.py", "import lib.used\nimport jobs.tick\n")
        archive.writestr("lib/__init__.py", "")
        archive.writestr("lib/used.py", "VALUE = 42\n")
    entries = tmp_path / "source" / "jobs"
    (entries / "__pycache__").mkdir(parents=True)
    (entries / "__init__.py").write_text("")
    (entries / "tick.py").write_text("import lib.used\nRESULT = lib.used.VALUE + 1\n")
    (entries / "__pycache__" / f"tick.{TAG}.pyc").write_bytes(b"this machine's, never shipped")

    bytecode.precompile(package, add=[entries])

    with zipfile.ZipFile(package) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "task")
    assert {"jobs/__init__.py", "jobs/tick.py", f"jobs/__pycache__/tick.{TAG}.pyc"} <= names
    compiled = (tmp_path / "task" / f"jobs/__pycache__/tick.{TAG}.pyc").read_bytes()
    assert int.from_bytes(compiled[4:8], "little") == 0b01
    done = subprocess.run([sys.executable, "-S", "-c", "import jobs.tick; print(jobs.tick.RESULT)"],
                          cwd=tmp_path / "task", capture_output=True, text=True, check=True,
                          env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert done.stdout.strip() == "43"
