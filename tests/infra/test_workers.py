"""The scheduled and queue functions run their own entry modules (workers/), which load only what
their handlers use, and take the raw Lambda event the way app.py's Chalice handlers do."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from chalice.test import TestEventsClient as EventsClient

from app import app
from chalicelib.settings import LIFECYCLE_QUEUE_NAME
from infra import functions as fn
from workers import lifecycle

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = json.loads((ROOT / "infra/resources.json").read_text())["Resources"]
# What only the API's pages, sign-in and enrolment need.
API_ONLY = {"chalice", "jinja2", "segno", "chalicelib.web"}
NOT_LOADED = {
    "workers.sync": API_ONLY | {"argon2", "chalicelib.auth.hub", "chalicelib.portal"},
    "workers.signing_keys": API_ONLY | {"argon2", "rapidfuzz", "chalicelib.sync"},
    "workers.portal": API_ONLY | {"rapidfuzz", "chalicelib.sync", "chalicelib.itdocs"},
    "workers.lifecycle": API_ONLY | {"rapidfuzz", "chalicelib.sync"},
    "workers.mail": {"chalice", "segno", "chalicelib.web", "rapidfuzz", "chalicelib.sync"},
}


def _loaded(module: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", f"import sys, {module}; print(*sys.modules)"],
                          cwd=ROOT, capture_output=True, text=True, check=True,
                          env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": ""})
    return set(done.stdout.split())


def test_every_scheduled_and_queue_function_runs_its_workers_entry_with_lambdas_arguments():
    declared = {source.name for source in app.event_sources}
    discovered = {f.name: f for f in fn.discover() if f.name != fn.API_HANDLER}
    assert set(discovered) == declared

    for function in discovered.values():
        module, _, name = function.handler.rpartition(".")
        assert module.startswith("workers."), function
        entry = getattr(importlib.import_module(module), name)
        assert list(inspect.signature(entry).parameters)[:2] == ["event", "context"]
        overrides = RESOURCES[function.name.title().replace("_", "")]["Properties"]
        assert overrides["Handler"] == function.handler


@pytest.mark.parametrize("module", sorted(NOT_LOADED))
def test_an_entry_module_loads_none_of_what_only_other_functions_need(module: str):
    loaded = _loaded(module)
    assert module in loaded
    unwanted = {name for name in loaded for prefix in NOT_LOADED[module]
                if name == prefix or name.startswith(prefix + ".")}
    assert unwanted == set()


def test_the_api_loads_no_worker_until_a_local_queue_hands_it_a_message():
    assert not {"workers.sync", "workers.mail", "workers.lifecycle"} & _loaded("app")
    delivered = _loaded("app\nfrom chalicelib import queues\n"
                        "queues.LIFECYCLE_INLINE.send('{\"event_id\": \"broken\"')")
    assert "workers.lifecycle" in delivered
    assert not {"workers.sync", "workers.mail"} & delivered


def test_a_raw_lambda_batch_fails_only_its_broken_message_and_logs_its_id(aws, log_lines):
    raw = EventsClient(app).generate_sqs_event(
        message_bodies=['{"event_id": "broken"'], queue_name=LIFECYCLE_QUEUE_NAME)
    message_id = raw["Records"][0]["messageId"]

    with pytest.raises(lifecycle.LifecycleMessagesFailed, match=message_id):
        lifecycle.lifecycle_events(raw, None)

    (line,) = log_lines.named("queue_message_failed")
    assert line["message_id"] == message_id and line["queue"] == LIFECYCLE_QUEUE_NAME
