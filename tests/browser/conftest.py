"""Browser tests: a `chalice local` on the session's DynamoDB Local, driven by headless Chromium.

Fixtures: `browser_stack` (the server, once per test process), `browser` (Chromium, once),
`page` (a fresh browser context per test, so no cookies leak between tests), `hub_db` (this
process's storage pointed at the server's tables, to create accounts the way a Master would) and
`audit` (axe-core on the page as it is now: fails on any serious or critical violation).
Playwright drives Debian's chromium; its own browser download does not work here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from chalicelib import runtime, settings
from chalicelib.storage import tables
from devstack import dynamodb_local
from devstack.mail_catcher import MailCatcher
from devstack.run import wait_for_page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STAGE = "test"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests share one xdist worker (`--dist loadgroup`), so one server serves them all."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@dataclass(frozen=True)
class BrowserStack:
    """The running server and the settings it sees (endpoint, table prefix, keys)."""

    base_url: str
    settings: settings.Settings
    log_path: Path


def stage_environment(env: Mapping[str, str], stage: str) -> dict[str, str]:
    """What `chalice local --stage` ends up with: ours, overridden by the config's variables."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    merged = dict(env)
    merged.update(config.get("environment_variables", {}))
    merged.update(config.get("stages", {}).get(stage, {}).get("environment_variables", {}))
    return merged


@pytest.fixture(scope="session")
def browser_stack(
    ddblocal_endpoint: str, tmp_path_factory: pytest.TempPathFactory,
    session_mail_catcher: MailCatcher,
) -> Iterator[BrowserStack]:
    port = dynamodb_local.free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update(
        {
            "LINKHUB_DYNAMODB_ENDPOINT": ddblocal_endpoint,
            "LINKHUB_TABLE_PREFIX": tables.all_models()[0].Meta.table_name.split("hub_")[0],
            "LINKHUB_BASE_URL": base_url,
            # The server's mail goes to this process's mail catcher (tests read it there).
            "LINKHUB_SMTP_HOST": session_mail_catcher.host,
            "LINKHUB_SMTP_PORT": str(session_mail_catcher.smtp_port),
            # As `make run`: syncs and key checks on worker threads, and the vendor's /seats slow
            # enough (per seat) that a sync's progress can be watched.
            "LINKHUB_LOCAL_QUEUES": "background",
            "LINKHUB_VENDOR_SEAT_LATENCY_MS": "150",
        }
    )
    # The stage's config may pin some variables (the test stage pins the table prefix); the
    # tables are created for whatever the server will use.
    server_settings = settings.from_environment(stage_environment(env, STAGE))
    with storage_for(server_settings):
        tables.create_tables()
    log_path = tmp_path_factory.mktemp("chalice") / "chalice.log"
    chalice = Path(sys.executable).parent / "chalice"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [str(chalice), "local", "--no-autoreload", "--stage", STAGE, "--port", str(port)],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_page(f"{base_url}/hub/login", process, timeout=60)
    except (RuntimeError, TimeoutError) as exc:
        dynamodb_local.stop(process)
        raise RuntimeError(f"chalice local did not start:\n{log_path.read_text()[-3000:]}") from exc
    yield BrowserStack(base_url=base_url, settings=server_settings, log_path=log_path)
    dynamodb_local.stop(process)


@contextmanager
def storage_for(target: settings.Settings) -> Iterator[settings.Settings]:
    """Point storage at other settings for a block, then back where the models were."""
    saved = [(m, m.Meta.table_name, getattr(m.Meta, "host", None)) for m in tables.all_models()]
    saved_connection = tables._connection
    tables.configure(target)
    try:
        yield target
    finally:
        for model, table_name, host in saved:
            model.Meta.table_name = table_name
            model.Meta.host = host
            model._connection = None
        tables._connection = saved_connection


@pytest.fixture
def hub_db(browser_stack: BrowserStack) -> Iterator[runtime.Runtime]:
    """This process's runtime on the server's tables and keys (real clock, as the server has)."""
    with storage_for(browser_stack.settings):
        rt = runtime.install(runtime.build(browser_stack.settings))
        yield rt
        runtime.reset()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, browser_stack: BrowserStack) -> Iterator[Page]:
    context = browser.new_context(base_url=browser_stack.base_url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


# axe-core comes from npm (package.json; `make test` installs it with DynamoDB Local's jar).
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA)."""
    if not AXE_SCRIPT.is_file():
        raise RuntimeError(f"axe-core is missing ({AXE_SCRIPT.relative_to(ROOT)}): run `make deps`")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text())  # as the DevTools protocol runs it: no CSP applies
    results = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation: rule, impact, what it means and the elements it found."""
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(f"{' '.join(node['target'])} ({node.get('failureSummary', '')})"
                    for node in v["nodes"][:5])
        for v in violations)


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page (any browser test may call it)."""
    found = axe_violations(page)
    assert not found, f"{page.url}:\n{describe_violations(found)}"


@pytest.fixture
def audit() -> Callable[[Page], None]:
    """`audit(page)`: axe-core on the page now; fails on a serious or critical violation."""
    return assert_accessible
