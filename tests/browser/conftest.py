"""Browser tests: a `chalice local` on the session's DynamoDB Local, driven by headless Chromium.

Fixtures: `browser_stack` (the server, once per test process), `browser` (Chromium, once),
`page` (a fresh browser context per test, so no cookies leak between tests), `hub_db` (this
process's storage pointed at the server's tables, to create accounts the way a Master would) and
`audit` (axe-core on the page as it is now: fails on any serious or critical violation). Every
page any browser test loads is audited on its own as well (`axe_on_every_page`).
Playwright drives Debian's chromium; its own browser download does not work here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

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
AXE_OPTIONS = ("{runOnly: {type: 'tag', values: "
               "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}}")
# Every page a browser test loads is audited in the page itself once it has loaded: axe-core
# and this script are in every document (an init script; the DevTools protocol runs it, so no
# CSP applies). Each result waits in the tab's sessionStorage until the test reads it. A page
# left before its audit ended (axe takes some 30 ms) leaves a snapshot of itself instead, which
# is audited afterwards in a tab of its own, styles and all.
AUDIT_ON_LOAD = """(() => {
  if (window.top !== window || !location.protocol.startsWith('http')) return;
  const save = entry => {
    const kept = JSON.parse(sessionStorage.getItem('linkhub-axe') || '[]');
    kept.push(entry);
    sessionStorage.setItem('linkhub-axe', JSON.stringify(kept));
  };
  let ended = false;
  const end = entry => { if (!ended) { ended = true; if (entry) save(entry); } };
  window.__axeDone = new Promise(resolve => {
    window.addEventListener('load', () => {
      if (document.contentType !== 'text/html') { end(null); resolve(); return; }
      axe.run(document, AXE_OPTIONS)
        .then(r => r.violations.filter(v => BLOCKING.includes(v.impact)),
              error => [{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}])
        .then(found => { end({url: location.href, found}); resolve(); });
    });
  });
  window.addEventListener('pagehide', () => {
    if (document.contentType === 'text/html') {
      end({url: location.href, snapshot: document.documentElement.outerHTML});
    }
  });
})();""".replace("AXE_OPTIONS", AXE_OPTIONS).replace("BLOCKING", json.dumps(BLOCKING_IMPACTS))
# The tab's results so far (its page's own audit ended first, or 5 s passed), read once.
TAKE_RESULTS = """async () => {
  if (window.__axeDone) {
    await Promise.race([window.__axeDone, new Promise(r => setTimeout(r, 5000))]);
  }
  const kept = JSON.parse(sessionStorage.getItem('linkhub-axe') || '[]');
  sessionStorage.removeItem('linkhub-axe');
  return kept;
}"""
SNAPSHOT_PATH = "/axe-snapshot-of-a-page-left-early"
LEFT_EARLY = " (as it was when left)"
SCRIPT_TAG = re.compile(r"<script\b.*?</script>", re.IGNORECASE | re.DOTALL)


def axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        raise RuntimeError(f"axe-core is missing ({AXE_SCRIPT.relative_to(ROOT)}): run `make deps`")
    return AXE_SCRIPT.read_text()


class Auditor:
    """axe-core on every page load of every context a test opens; findings kept per page."""

    def __init__(self) -> None:
        self.contexts: list[BrowserContext] = []
        self.audited: list[str] = []
        self.found: list[tuple[str, list[dict[str, Any]]]] = []

    def install(self, context: BrowserContext) -> BrowserContext:
        """Audit the context's pages; its `close` reads their results first."""
        context.add_init_script(script=axe_source() + "\n" + AUDIT_ON_LOAD)
        close = context.close

        def close_after_reading(**options: Any) -> None:
            self.collect(context)
            close(**options)

        context.close = close_after_reading  # type: ignore[method-assign]
        self.contexts.append(context)
        return context

    def collect_all(self) -> None:
        for context in self.contexts:
            self.collect(context)

    def collect(self, context: BrowserContext) -> None:
        """Read each open tab's results; audit the snapshots of pages left before their audit."""
        snapshots: list[tuple[str, str]] = []
        for tab in list(context.pages):
            for entry in self._take(tab):
                if "snapshot" in entry:
                    snapshots.append((entry["url"], entry["snapshot"]))
                else:
                    self._keep(entry["url"], entry["found"])
        for url, html in snapshots:
            self._audit_snapshot(context, url, html)

    def _take(self, tab: Page) -> list[dict[str, Any]]:
        if tab.is_closed() or not tab.url.startswith("http"):
            return []
        try:
            return list(tab.evaluate(TAKE_RESULTS))
        except PlaywrightError:
            return []

    def _keep(self, url: str, found: list[dict[str, Any]]) -> None:
        self.audited.append(url)
        if found:
            self.found.append((url, found))

    def _audit_snapshot(self, context: BrowserContext, url: str, html: str) -> None:
        """The page as it was when left, scripts removed, audited at its own origin."""
        origin = "/".join(url.split("/")[:3])
        tab = context.new_page()
        try:
            tab.route(f"{origin}{SNAPSHOT_PATH}", lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8",
                body="<!doctype html>" + SCRIPT_TAG.sub("", html)))
            tab.goto(f"{origin}{SNAPSHOT_PATH}")
            for entry in self._take(tab):
                if "found" in entry:
                    self._keep(f"{url}{LEFT_EARLY}", entry["found"])
        finally:
            tab.close()

    def failure(self) -> str | None:
        """What the test's failure says: each page with its violations (rule, impact, targets)."""
        if not self.found:
            return None
        return "axe-core found serious or critical violations:\n" + "\n".join(
            f"{url}:\n{describe_violations(violations)}" for url, violations in self.found)


def settle(tab: Page) -> None:
    """Let the page's own audit end first (axe runs one audit at a time in a page)."""
    if tab.url.startswith("http"):
        with suppress(PlaywrightError):
            tab.evaluate("() => window.__axeDone && Promise.race("
                         "[window.__axeDone, new Promise(r => setTimeout(r, 5000))])")


AUDITOR = pytest.StashKey[Auditor]()


@pytest.fixture(autouse=True)
def axe_on_every_page(request: pytest.FixtureRequest) -> Iterator[Auditor | None]:
    """Browser tests: every context made from `browser` (the `page` fixture's and a test's own)
    audits each page it loads; `pytest_runtest_call` below fails the test on a finding."""
    if not request.node.get_closest_marker("browser"):
        yield None
        return
    chromium: Browser = request.getfixturevalue("browser")
    auditor = Auditor()
    make_context = chromium.new_context

    def new_context(**options: Any) -> BrowserContext:
        context = make_context(**options)
        if options.get("java_script_enabled") is False:
            return context  # axe-core is JavaScript: such a page is audited with it on
        return auditor.install(context)

    chromium.new_context = new_context  # type: ignore[method-assign]
    request.node.stash[AUDITOR] = auditor
    try:
        yield auditor
    finally:
        chromium.new_context = make_context  # type: ignore[method-assign]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a passing browser test: its pages' audits ended, and none found anything."""
    result = yield
    auditor = item.stash.get(AUDITOR, None)
    if auditor is not None:
        auditor.collect_all()
        item.user_properties.append(("axe_audited", len(auditor.audited)))
        item.user_properties.append(("axe_snapshots", sum(
            url.endswith(LEFT_EARLY) for url in auditor.audited)))
        problem = auditor.failure()
        if problem:
            pytest.fail(problem, pytrace=False)
    return result


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """How many page loads axe-core audited (so a run shows the audit ran, and on how much)."""
    def counted(key: str) -> list[int]:
        return [value for reports in terminalreporter.stats.values() for report in reports
                for name, value in getattr(report, "user_properties", ())
                if name == key and getattr(report, "when", "") == "call"]

    if counted("axe_audited"):
        terminalreporter.write_line(
            f"axe-core audited {sum(counted('axe_audited'))} page loads in "
            f"{len(counted('axe_audited'))} browser tests ({sum(counted('axe_snapshots'))} "
            "of them from a snapshot: the test had left the page before its audit ended)")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA)."""
    settle(page)  # axe runs one audit at a time: the load's first
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())  # as the DevTools protocol runs it: no CSP applies
    results = page.evaluate(f"() => axe.run(document, {AXE_OPTIONS})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violation: rule, impact, what it means and the elements it found."""
    return "\n".join(
        f"  {v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(f"{' '.join(str(t) for t in node['target'])} "
                    f"({node.get('failureSummary', '')})"
                    for node in v["nodes"][:5])
        for v in violations)


def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now (after an interaction:
    every load is audited already)."""
    found = axe_violations(page)
    assert not found, f"{page.url}:\n{describe_violations(found)}"


@pytest.fixture
def audit() -> Callable[[Page], None]:
    """`audit(page)`: axe-core on the page now; fails on a serious or critical violation."""
    return assert_accessible
