"""The import-linter contracts in pyproject.toml hold, and each catches the import it forbids.

Every contract is checked twice: on the real tree (it must be kept) and on a copy of the tree with
one deliberately wrong import added (it must be reported broken), so no contract passes by
matching nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())"]

# contract id -> (module file to edit, the wrong import it gains)
WRONG_IMPORTS = {
    "acyclic": ("chalicelib/clock.py", "import chalicelib.signing"),
    "products-independent": ("chalicelib/portal/policy.py", "import chalicelib.itdocs.policy"),
    "storage-independent": ("chalicelib/storage/hub/users.py",
                            "import chalicelib.storage.portal.users"),
    "itdocs-sync-matching": ("chalicelib/sync/vocabulary.py", "import chalicelib.itdocs.policy"),
    "matching-pure": ("chalicelib/matching/names.py", "import chalicelib.settings"),
    "routes-on-top": ("chalicelib/portal/policy.py", "import chalicelib.portal.routes"),
    "routes-skip-storage": ("chalicelib/itdocs/routes/__init__.py",
                            "import chalicelib.storage.itdocs.users"),
    "web-kit-below-routes": ("chalicelib/sync/card.py", "import chalicelib.web.flash"),
    "chalice-only-in-routes": ("chalicelib/auth/hub/policy.py", "import chalice"),
    "storage-only-knows-pynamodb": ("chalicelib/sync/card.py", "import pynamodb.models"),
    "storage-at-the-bottom": ("chalicelib/storage/kit.py", "import chalicelib.runtime"),
}


def contract_ids() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return [c["id"] for c in config["tool"]["importlinter"]["contracts"]]


def lint_imports(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([*LINT, "--no-cache", *args], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_every_contract_is_kept_on_the_tree() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(contract_ids())} kept, 0 broken." in result.stdout


def test_every_contract_has_a_wrong_import_that_breaks_it() -> None:
    assert sorted(WRONG_IMPORTS) == sorted(contract_ids())


@pytest.mark.parametrize("contract", sorted(WRONG_IMPORTS))
def test_a_wrong_import_breaks_the_contract(contract: str, tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ("chalicelib", "devstack"):
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "static"))
    module, wrong_import = WRONG_IMPORTS[contract]
    target = tmp_path / module
    target.write_text(target.read_text() + f"\n{wrong_import}  # noqa\n")

    result = lint_imports(tmp_path, "--contract", contract)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "0 kept, 1 broken." in result.stdout
