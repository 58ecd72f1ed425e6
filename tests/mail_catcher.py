"""Fixtures for tests that read mail: a real SMTP server (the devstack's mail catcher), free port.

`mail_catcher` is a fresh catcher per test; `session_mail_catcher` one per test process (the browser
tests' `chalice local` sends to it); `mailing` is the `aws` runtime sending over SMTP to
`mail_catcher`. Registered as a plugin by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import runtime
from devstack import dynamodb_local
from devstack.mail_catcher import MailCatcher
from tests.fakes import build_for_tests


def started_catcher() -> MailCatcher:
    return MailCatcher(dynamodb_local.free_port()).start()


@pytest.fixture
def mail_catcher() -> Iterator[MailCatcher]:
    catcher = started_catcher()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def session_mail_catcher() -> Iterator[MailCatcher]:
    catcher = started_catcher()
    yield catcher
    catcher.stop()


@pytest.fixture
def mailing(aws: runtime.Runtime, mail_catcher: MailCatcher) -> runtime.Runtime:
    """The `aws` runtime (same clock, same fakes) with its mail sent to `mail_catcher`."""
    settings = aws.settings.with_overrides(smtp_host=mail_catcher.host,
                                           smtp_port=mail_catcher.smtp_port)
    return runtime.install(build_for_tests(settings, clock=aws.clock))
