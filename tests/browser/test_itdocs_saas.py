"""IT Docs' SaaS Protection keys in a real browser, where a reader mistypes them: a wrong secret
shows "Keys refused" without a reload (the keys are checked in the background against the
server's own /api/v1), Actions > Change API keys puts it right, and Actions > Edit switches the
matching to Accept All Automatically.

The article's Procedure from + New to the card, by its words, is test_article_saas_protection.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from chalicelib.itdocs import sessions
from chalicelib.itdocs.policy import MANAGER
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from tests.browser.actions_menu import choose_action
from tests.browser.conftest import BrowserStack
from tests.conftest import unique
from tests.itdocs.helpers import make_account, make_user
from tests.portal.helpers import make_partner

pytestmark = pytest.mark.browser


def test_a_wrong_secret_is_refused_in_place_and_change_api_keys_puts_it_right(
        page: Page, hub_db: Runtime, browser_stack: BrowserStack) -> None:
    partner = make_partner(unique("Partner"), customers=((catalog.OFFICE365, 2, True),))
    token, _ = sessions.start(hub_db, make_user(make_account(), MANAGER))
    page.context.add_cookies([{"name": "lh_itdocs_session", "value": token,
                               "url": browser_stack.base_url}])

    page.goto("/itdocs/account/integrations/new/saas-protection")
    page.get_by_label("SaaS Protection API Public Key").fill(partner.public_key)
    page.get_by_label("SaaS Protection API Secret Key").fill("a wrong secret")
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status")).to_contain_text("Connected")
    expect(page.locator(".sync-status [data-part=status]")).to_have_text("Error")
    expect(page.locator(".sync-status [data-part=reason]")).to_contain_text("Keys refused")

    page.get_by_role("link", name="Change API keys").click()
    page.get_by_label("SaaS Protection API Secret Key").fill(partner.secret)
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the new API keys")
    expect(page.locator(".sync-status [data-part=reason]")).to_contain_text(
        "Keys accepted: SaaS Protection lists 1 customer.")

    choose_action(page, "Edit")
    page.get_by_label("Sync SaaS Protection backup information").check()
    page.get_by_label("Accept All Automatically").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the SaaS Protection integration")
    expect(page.get_by_role("main")).to_contain_text("Accept All Automatically")
    choose_action(page, "Edit")
    expect(page.get_by_label("Accept All Automatically")).to_be_checked()
    expect(page.get_by_label("Sync SaaS Protection backup information")).to_be_checked()
