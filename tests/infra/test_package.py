"""`chalice package --merge-template infra/resources.json` builds a template that cfn-lint accepts.

The app is packaged from a copy with an empty requirements.txt: dependencies only change the zip,
never the template, and building them needs a network. `make package` builds the real thing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _package(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    shutil.copytree(
        ROOT / ".chalice",
        project / ".chalice",
        ignore=shutil.ignore_patterns("deployments", "venv"),
    )
    (project / "infra").mkdir()
    shutil.copy(ROOT / "infra/resources.json", project / "infra/resources.json")
    shutil.copy(ROOT / "app.py", project / "app.py")
    shutil.copytree(ROOT / "workers", project / "workers", ignore=ignore)
    (project / "requirements.txt").write_text("")
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    command = [str(BIN / "chalice"), "package", "--stage", "prod"]
    command += ["--merge-template", "infra/resources.json", "out"]
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return project / "out" / "sam.json"


def _policy_resources(template: dict[str, Any]) -> list[Any]:
    found = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"]["Policies"]:
            for statement in policy["PolicyDocument"]["Statement"]:
                found.extend(statement["Resource"])
    return found


def test_packaged_template_is_complete_least_privilege_and_lints_clean(tmp_path: Path) -> None:
    sam = _package(tmp_path)
    lint = subprocess.run(
        [str(BIN / "cfn-lint"), str(sam)], capture_output=True, text=True, timeout=300
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr

    template = json.loads(sam.read_text())
    resources = template["Resources"]
    functions = {
        name: r["Properties"]
        for name, r in resources.items()
        if r["Type"] == "AWS::Serverless::Function"
    }
    assert set(functions) >= {"APIHandler", "SyncTick", "SyncWorker", "LifecycleEvents"}
    # Only the API runs app.py; each scheduled and queue function its own entry in workers/.
    assert functions["APIHandler"]["Handler"] == "app.app"
    assert functions["SyncTick"]["Handler"] == "workers.sync.sync_tick"
    workers = [p["Handler"] for name, p in functions.items() if name != "APIHandler"]
    assert workers and all(handler.startswith("workers.") for handler in workers)

    tick = functions["SyncTick"]["Events"]["SyncTickEvent"]
    assert tick == {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)"}}

    queue_names = {
        r["Properties"]["QueueName"] for r in resources.values() if r["Type"] == "AWS::SQS::Queue"
    }
    for name, function in (
        (settings.SYNC_QUEUE_NAME, "SyncWorker"),
        (settings.LIFECYCLE_QUEUE_NAME, "LifecycleEvents"),
        (settings.MAIL_QUEUE_NAME, "MailWorker"),
    ):
        assert name in queue_names and f"{name}-dlq" in queue_names
        (event,) = functions[function]["Events"].values()
        assert event["Type"] == "SQS" and event["Properties"]["Queue"]["Fn::Sub"].endswith(name)
    scaling = functions["SyncWorker"]["Events"]["SyncWorkerSqsEventSource"]["Properties"]
    assert scaling["ScalingConfig"]["MaximumConcurrency"] >= 2
    assert functions["SyncWorker"]["Timeout"] == 900

    for properties in functions.values():
        role = properties["Role"]["Fn::GetAtt"][0]
        assert resources[role]["Type"] == "AWS::IAM::Role"
        variables = properties["Environment"]["Variables"]
        assert variables["LINKHUB_STAGE"] == "prod"
        assert "AWS_DEFAULT_REGION" not in variables  # reserved by Lambda
        # Without these the runtime would reach for a local key file Lambda does not have.
        assert variables["LINKHUB_KMS_KEY_ID"] == {"Fn::GetAtt": ["SecretsKey", "Arn"]}
        assert "LINKHUB_SIGNING_SECRET" in variables
    wildcard = [r for r in _policy_resources(template) if "*" in json.dumps(r)]
    assert wildcard == []

    tables = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert tables and all(t["Properties"]["BillingMode"] == "PAY_PER_REQUEST" for t in tables)
    assert resources["SecretsKey"]["Properties"]["EnableKeyRotation"] is True
