"""Admin > Integrations > API Keys in Chromium with JavaScript off: limit a new key to one customer,
see the scope in the key list, then widen it to all customers from the row's Change customers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import api_keys as key_store
from tests.browser.sign_in_steps import portal_password_login
from tests.conftest import unique
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.browser


@pytest.fixture
def no_script_page(browser: Browser, browser_stack) -> Iterator[Page]:
    context = browser.new_context(base_url=browser_stack.base_url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_an_admin_limits_a_key_to_one_customer_then_widens_it(no_script_page: Page,
                                                              hub_db: Runtime) -> None:
    page = no_script_page
    partner = make_partner(unique("Scopes"), customers=(
        (catalog.OFFICE365, 1, False), (catalog.OFFICE365, 1, False)))
    chosen, other = partner.customers
    portal_password_login(page, partner.admin.username)
    page.goto("/portal/admin/api-keys")
    create = page.locator("#create-key")
    create.get_by_label("Description").fill("Only one")
    create.get_by_label("Only the customers ticked below").check()
    create.get_by_label(chosen.name).check()
    create.get_by_role("button", name="Create API key").click()
    expect(page.locator("#new-key")).to_contain_text("Copy the secret key now")
    public_key = page.locator("#new-key [data-public-key]").inner_text()
    row = page.locator(f'tr[data-public-key="{public_key}"]')
    expect(row.locator("[data-key-scope]")).to_have_text(chosen.name)
    assert key_store.get_api_key(public_key).customers == {chosen.saas_customer_id}

    page.goto("/portal/admin/api-keys")
    row = page.locator(f'tr[data-public-key="{public_key}"]')
    row.get_by_text("Change customers").click()
    expect(row.get_by_label(other.name)).not_to_be_checked()
    expect(row.get_by_label(chosen.name)).to_be_checked()
    row.get_by_label("All customers (including customers added later)").check()
    row.get_by_label(chosen.name).uncheck()
    row.get_by_role("button", name=f"Save the customers of {public_key}").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the customers")
    expect(page.locator(f'tr[data-public-key="{public_key}"] [data-key-scope]')).to_have_text(
        "All customers")
    assert key_store.get_api_key(public_key).customers is None
