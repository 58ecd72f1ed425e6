"""`python -m infra.build [--check]`: regenerate infra/resources.json, the prod IAM policies and
the API's route table.

Writes infra/resources.json, .chalice/policy-prod-<function>.json, the prod stage's
`lambda_functions` in .chalice/config.json and chalicelib/web/route_table.py. With --check, writes
nothing and exits 1 when any of them differs from what the code says (a model, handler or route
changed without regenerating).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from infra import functions as fn
from infra import policies, route_table, template

ROOT = fn.ROOT
RESOURCES = Path("infra/resources.json")
CONFIG = Path(".chalice/config.json")


def render(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=False) + "\n"


def policy_file(function: fn.Function) -> str:
    return f"policy-{template.STAGE}-{function.name}.json"


def _stage_config(config: dict[str, Any], functions: list[fn.Function]) -> dict[str, Any]:
    stage = config["stages"][template.STAGE]
    stage["autogen_policy"] = False
    lambdas: dict[str, Any] = {}
    for function in functions:
        entry: dict[str, Any] = {
            "iam_policy_file": policy_file(function),
            "lambda_timeout": function.tuning.timeout,
            "lambda_memory_size": function.tuning.memory,
        }
        if function.tuning.reserved_concurrency is not None:
            entry["reserved_concurrency"] = function.tuning.reserved_concurrency
        lambdas[function.name] = entry
    stage["lambda_functions"] = lambdas
    return config


def expected_files(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file (path relative to the repository) with the content it must have."""
    config = json.loads((root / CONFIG).read_text())
    prefix = config["stages"][template.STAGE]["environment_variables"]["LINKHUB_TABLE_PREFIX"]
    functions = fn.discover()
    queues = policies.queue_settings()
    files = {RESOURCES: render(template.build(functions, prefix))}
    for function in functions:
        files[Path(".chalice") / policy_file(function)] = render(policies.policy(function, queues))
    files[CONFIG] = render(_stage_config(config, functions))
    files[route_table.PATH] = route_table.render()
    return files


def stale_files(root: Path = ROOT) -> list[Path]:
    """Generated files whose committed content differs from a fresh generation."""
    stale = []
    for path, content in expected_files(root).items():
        target = root / path
        if not target.exists() or target.read_text() != content:
            stale.append(path)
    return stale


def main(argv: list[str]) -> int:
    if "--check" in argv:
        stale = stale_files()
        for path in stale:
            print(f"stale: {path} (run `python -m infra.build`)")
        return 1 if stale else 0
    for path, content in expected_files().items():
        target = ROOT / path
        if not target.exists() or target.read_text() != content:
            target.write_text(content)
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
