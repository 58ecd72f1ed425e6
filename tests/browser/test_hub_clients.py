"""A hub Master registers an OIDC client in a browser: the secret is shown once, on the page the
registration redirects to, and a refresh neither registers again nor shows the secret."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chalicelib.auth.hub import sessions as hub_sessions
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import oidc_clients as oidc_store
from tests.auth.hub.helpers import make_account
from tests.browser.conftest import BrowserStack
from tests.conftest import unique

pytestmark = pytest.mark.browser


def test_the_secret_is_shown_once_and_a_refresh_registers_nothing(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    master = make_account(company_name=unique("Clients Hub"), username="cleo")
    token, _ = hub_sessions.start(hub_db, master.user)
    page.context.add_cookies([{"name": "lh_hub_session", "value": token,
                               "url": browser_stack.base_url}])
    page.goto("/hub/admin/clients")
    page.get_by_label("Name").fill("Team Wiki")
    page.get_by_label("Redirect URIs (one per line)").fill("https://wiki.example.com/callback")
    page.get_by_role("button", name="Register client").click()

    expect(page).to_have_url(re.compile(r"/hub/admin/clients/created$"))
    expect(page.get_by_role("heading", name="Team Wiki is registered")).to_be_visible()
    secret = page.locator("#client-secret").inner_text()
    client_id = page.locator("#client-id").inner_text()
    assert len(secret) >= 40

    page.reload()  # no resubmission: the list, without the secret
    expect(page).to_have_url(re.compile(r"/hub/admin/clients$"))
    expect(page.locator(f'tr[data-client-id="{client_id}"]')).to_contain_text("Team Wiki")
    assert secret not in page.content()
    page.go_back()
    assert secret not in page.content()
    assert [c.client_id for c in oidc_store.clients_of_company(master.company.company_id)] \
        == [client_id]
