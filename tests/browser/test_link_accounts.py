"""The "Link your accounts" page in a browser: a look-alike hub user is refused, the owner links.

A hub Master creates a hub user with a portal Security Admin's username and email and presses
Log In with Hub: the portal shows "Link your accounts" instead of signing in, and refuses a wrong
password. The Security Admin's own hub user then links with the right portal password, once.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.portal import companies
from chalicelib.portal.policy import SECURITY_ADMIN
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import security_settings as security_store
from tests.auth.hub.helpers import make_account
from tests.browser.sign_in_steps import hub_three_steps, link_your_accounts
from tests.conftest import unique
from tests.portal.helpers import PASSWORD, make_user
from tests.portal.test_sso_linking import master_creates

pytestmark = pytest.mark.browser


def test_a_look_alike_is_refused_on_the_link_page_and_the_owner_links_once(
        page: Page, browser: Browser, browser_stack, hub_db):
    master = make_account(company_name=unique("Link Hub"), username="mallory")
    partner = companies.create_company(hub_db, unique("Link Partner"))
    security_store.link_company(partner.company_id, issuer=hub_db.settings.hub_issuer,
                                hub_company_id=master.company.company_id,
                                hub_company_name=master.company.name, now=hub_db.clock.now(),
                                actor="tests")
    victim = make_user(partner, username=f"vic{partner.company_id[:8]}",
                       email=f"vic{partner.company_id[:8]}@victim.example", role=SECURITY_ADMIN)

    # The hub Master's look-alike: the Security Admin's username and email.
    look_alike = master_creates(master, victim.username, victim.email)
    page.goto("/portal/login")
    page.get_by_role("link", name="Log In with Hub").click()
    hub_three_steps(page, look_alike)
    expect(page).to_have_url(re.compile(r"/portal/sso/link$"))
    expect(page.get_by_role("heading", name="Link your accounts")).to_be_visible()
    expect(page.get_by_text(victim.username)).to_be_visible()
    link_your_accounts(page, "not-the-portal-password")
    expect(page.get_by_role("alert")).to_contain_text("password is incorrect")
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/login"))
    assert identity_store.identity_of_user(victim.user_id) is None

    # The owner's own hub user (same email), in their own browser: the portal password, once.
    own = master_creates(master, f"own{partner.company_id[:8]}", victim.email)
    other = browser.new_context(base_url=browser_stack.base_url)
    other.set_default_timeout(15_000)
    tab = other.new_page()
    try:
        tab.goto("/portal/login")
        tab.get_by_role("link", name="Log In with Hub").click()
        hub_three_steps(tab, own)
        link_your_accounts(tab, PASSWORD)
        expect(tab).to_have_url(re.compile(r"/portal/$"))
        expect(tab.get_by_role("banner")).to_contain_text(victim.name)
        tab.get_by_role("button", name="Log out").click()
        tab.goto("/portal/login")
        tab.get_by_role("link", name="Log In with Hub").click()
        expect(tab).to_have_url(re.compile(r"/portal/$"))  # by (issuer, subject) from now on
    finally:
        other.close()
