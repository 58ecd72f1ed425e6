"""The audit every browser test gets: each page load is checked by axe-core, a page left at once
included, and the failure names the page, the rule and the element."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route

from tests.browser.conftest import Auditor, BrowserStack

pytestmark = pytest.mark.browser

BROKEN = ("<!doctype html><html><head><title>Broken</title></head>"
          "<body><main><img src='/static/none.png'><button></button></main></body></html>")


def serve_broken(route: Route) -> None:
    route.fulfill(status=200, content_type="text/html; charset=utf-8", body=BROKEN)


def test_each_load_is_audited_even_a_page_left_at_once(
        page: Page, browser_stack: BrowserStack, axe_on_every_page: Auditor) -> None:
    auditor = axe_on_every_page
    page.route("**/axe-self-test", serve_broken)
    page.goto("/hub/login")
    page.goto("/hub/axe-self-test")
    page.goto("/hub/login")  # at once: audited anyway
    auditor.collect_all()
    broken = f"{browser_stack.base_url}/hub/axe-self-test"
    # a load may be audited live or, when collected before its audit ended, from its snapshot
    audited = [url.removesuffix(" (as it was when left)") for url in auditor.audited]
    assert sorted(audited) == sorted([f"{browser_stack.base_url}/hub/login"] * 2 + [broken])
    ((url, violations),) = auditor.found
    assert url == broken
    message = auditor.failure() or ""
    for rule in ("html-has-lang", "image-alt", "button-name"):
        assert rule in {v["id"] for v in violations}
        assert rule in message
    assert "img" in message and "/hub/axe-self-test" in message
    auditor.found.clear()  # this test's findings were made on purpose


def test_a_page_left_before_its_audit_ended_is_audited_as_it_was(
        page: Page, browser_stack: BrowserStack, axe_on_every_page: Auditor) -> None:
    auditor = axe_on_every_page
    page.route("**/axe-self-test", serve_broken)
    page.add_init_script("window.axe && (window.axe.run = () => new Promise(() => {}))")
    page.goto("/hub/axe-self-test")  # its audit never ends: only the snapshot can tell
    page.goto("/hub/login")
    auditor.collect_all()
    broken = f"{browser_stack.base_url}/hub/axe-self-test (as it was when left)"
    assert [url for url, _ in auditor.found] == [broken]
    assert "image-alt" in (auditor.failure() or "")
    auditor.found.clear()
