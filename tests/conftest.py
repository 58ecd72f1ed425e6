"""Fixtures: `aws` (moto), `frozen_time`, `client` (cookie-keeping), `ddb` (DynamoDB Local)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "LINKHUB_STAGE": "test",
        "LINKHUB_LOCAL_KEY": "a1" * 32,
    }
)

from moto import mock_aws  # noqa: E402

from app import app  # noqa: E402  (importing it wires the inline queues to their consumers)
from chalicelib import runtime  # noqa: E402
from chalicelib.clock import FrozenClock  # noqa: E402
from chalicelib.settings import from_environment  # noqa: E402
from chalicelib.storage import tables  # noqa: E402
from devstack import dynamodb_local  # noqa: E402
from tests.fakes import build_for_tests  # noqa: E402
from tests.web_client import WebClient  # noqa: E402

# Mail fixtures (`mail_catcher`, `session_mail_catcher`, `mailing`): tests/mail_catcher.py.
pytest_plugins = ["tests.mail_catcher", "tests.recorded"]


@pytest.fixture
def frozen_time() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def aws(frozen_time: FrozenClock) -> Iterator[runtime.Runtime]:
    """moto-backed AWS with every table created and a runtime on the frozen clock."""
    with mock_aws():
        settings = from_environment().with_overrides(table_prefix="t-", dynamodb_endpoint="")
        rt = runtime.install(build_for_tests(settings, clock=frozen_time))
        tables.create_tables(wait=False)
        yield rt
        runtime.reset()


@pytest.fixture
def client(aws: runtime.Runtime) -> WebClient:
    return WebClient(app)


# The tables the session's DynamoDB Local holds (moto tests use "t-"; the two never mix).
DDBLOCAL_PREFIX = f"it-{uuid.uuid4().hex[:6]}-"


@pytest.fixture(scope="session")
def ddblocal_endpoint() -> Iterator[str]:
    """One in-memory DynamoDB Local per test process, with the tables created once."""
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port)
    endpoint = f"http://127.0.0.1:{port}"
    settings = from_environment().with_overrides(
        table_prefix=DDBLOCAL_PREFIX, dynamodb_endpoint=endpoint
    )
    tables.configure(settings)
    # Tests run on a frozen clock in the past: DynamoDB Local's TTL sweeper would delete their
    # records (push challenges, sessions) at random moments, so expiry stays the code's job here.
    tables.create_tables(expire_items=False)
    yield endpoint
    dynamodb_local.stop(process)


@pytest.fixture
def ddb(ddblocal_endpoint: str, frozen_time: FrozenClock) -> Iterator[runtime.Runtime]:
    """A runtime on DynamoDB Local; tests isolate themselves by using fresh ids and names."""
    settings = from_environment().with_overrides(
        dynamodb_endpoint=ddblocal_endpoint, table_prefix=DDBLOCAL_PREFIX
    )
    rt = runtime.install(build_for_tests(settings, clock=frozen_time))
    yield rt
    runtime.reset()


@pytest.fixture
def ddb_client(ddb: runtime.Runtime) -> WebClient:
    return WebClient(app)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"
