"""Portal fixtures: `live_server` (`chalice local` on the session's DynamoDB Local) and `live`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib import runtime
from chalicelib.settings import from_environment
from chalicelib.storage import tables
from devstack import dynamodb_local

ROOT = Path(__file__).resolve().parents[2]
STAGE = "test"


@dataclass
class LiveServer:
    """A `chalice local` process serving the app over real HTTP."""

    base_url: str
    endpoint: str
    table_prefix: str
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        """Everything the server has written to stdout/stderr so far (its JSON log lines)."""
        return self.log_path.read_text(errors="replace")


def stage_table_prefix(stage: str) -> str | None:
    """The stage's LINKHUB_TABLE_PREFIX: `chalice local` lets it override the environment."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    variables = config.get("stages", {}).get(stage, {}).get("environment_variables", {})
    return variables.get("LINKHUB_TABLE_PREFIX")


def _create_tables(endpoint: str, prefix: str) -> None:
    """Create the server's tables on DynamoDB Local, then restore the models' configuration."""
    model = tables.all_models()[0]
    previous_prefix = model.Meta.table_name[: -len(model.Meta.logical_name)]
    previous = from_environment().with_overrides(
        table_prefix=previous_prefix, dynamodb_endpoint=model.Meta.host or "")
    tables.configure(from_environment().with_overrides(table_prefix=prefix,
                                                       dynamodb_endpoint=endpoint))
    tables.create_tables()
    tables.configure(previous)


@pytest.fixture(scope="session")
def live_server(ddblocal_endpoint: str,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`chalice local --stage test` on a free port, against the session's DynamoDB Local."""
    prefix = stage_table_prefix(STAGE) or f"live-{uuid.uuid4().hex[:6]}-"
    _create_tables(ddblocal_endpoint, prefix)
    port = dynamodb_local.free_port()
    log_path = tmp_path_factory.mktemp("live-server") / "chalice.log"
    env = dict(os.environ, LINKHUB_DYNAMODB_ENDPOINT=ddblocal_endpoint,
               LINKHUB_TABLE_PREFIX=prefix, LINKHUB_STAGE=STAGE,
               LINKHUB_BASE_URL=f"http://127.0.0.1:{port}")
    chalice = Path(sys.executable).parent / "chalice"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(chalice), "local", "--port", str(port), "--stage", STAGE, "--no-autoreload"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        dynamodb_local.wait_for_port(port, timeout=60, process=process)
        yield LiveServer(f"http://127.0.0.1:{port}", ddblocal_endpoint, prefix, log_path)
    finally:
        dynamodb_local.stop(process)


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[runtime.Runtime]:
    """A runtime on the live server's tables and the real clock (to seed data it will serve)."""
    settings = from_environment().with_overrides(table_prefix=live_server.table_prefix,
                                                 dynamodb_endpoint=live_server.endpoint)
    rt = runtime.install(runtime.build(settings))
    yield rt
    runtime.reset()
