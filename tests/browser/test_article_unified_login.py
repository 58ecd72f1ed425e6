"""The Unified Login with the Partner Portal article, followed by its words at desktop and phone
sizes (one screenshot per step under test-output/walkthroughs/unified-login/<size>/).

Enable Unified Login
 1. Log into the Partner Portal and navigate to Admin > Security Settings.
 2. Go to the Single Sign-on (SSO) section that shows the Hub logo; click Enable Login with Hub.
 3. When prompted, log in to the Hub: Username and Company Name, Next; Password, Log In; the 2FA
    token, Verify. (The portal then shows whom the hub signed in: Continue.)
 4. Unified Login is enabled: click App Launcher, see the modules enabled for Unified Login under
    their heading, and click the Hub link to open the Hub (the portal is in My Modules).
Log In with Hub
 5. On the Partner Portal login screen click Log In with Hub (the first time the portal user
    proves it is theirs with its password); already logged in to the Hub, nothing is typed.
Require Log In with Hub, Automatic User Creation and Deactivation
 6. Navigate to Admin > Security Settings; Hub SSO is enabled.
 7. Turn on the Require Log In with Hub toggle: User Exceptions appear at once; always-exempt
    users say why and have no Add.
 8. Add (the plus icon) next to a user: Exception Yes; Delete (the dustbin icon): No.
 9. Turn on Enable Automatic User Creation; select the default role for JIT implementation.
10. Turn on Enable Automatic User Deactivation.
11. Click Save: every setting is kept (a reload shows them all, each change audited).
12. What the article promises then: a plain user must log in with the Hub, an excepted one keeps
    the portal password, and a new hub user gets a portal account with the default role.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import users as portal_store
from tests.auth.hub.helpers import make_account
from tests.browser.conftest import BrowserStack
from tests.browser.sign_in_steps import (
    confirm_hub_user,
    hub_three_steps,
    link_your_accounts,
    portal_password_login,
)
from tests.browser.walkthrough import SIZES, Size, Steps, choose
from tests.conftest import unique
from tests.portal.helpers import PASSWORD, make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", SIZES, ids=[s.name for s in SIZES])
def test_unified_login_article_step_by_step(
        page: Page, browser: Browser, browser_stack: BrowserStack, hub_db: Runtime,
        size: Size) -> None:
    hub = make_account(company_name=unique("Article Hub"), username="sam")
    partner = companies.create_company(hub_db, unique("Article Partner"))
    admin = make_user(partner, username=f"sam{partner.company_id[:8]}", email=hub.user.email,
                      role=SECURITY_ADMIN)
    tess = make_user(partner, username=f"tess{partner.company_id[:8]}", role=TECHNICIAN)
    tom = make_user(partner, username=f"tom{partner.company_id[:8]}", role=TECHNICIAN)
    page.set_viewport_size({"width": size.width, "height": size.height})
    steps = Steps.of(page, "unified-login", size)

    # 1. Log into the Partner Portal and navigate to Admin > Security Settings.
    portal_password_login(page, admin.username)
    choose(page, size, "Admin", "Security Settings")
    expect(page).to_have_url(re.compile(r"/portal/admin/security$"))
    steps.shot("admin-security-settings")

    # 2. The Single Sign-on (SSO) section shows the Hub logo: Enable Login with Hub.
    sso = page.get_by_role("heading", name="Single Sign-on (SSO)")
    expect(sso).to_be_visible()
    expect(sso.get_by_role("img", name="Hub")).to_be_visible()
    page.get_by_role("button", name="Enable Login with Hub").click()

    # 3. When prompted, log in to the Hub (three steps), then confirm whom the hub signed in.
    expect(page).to_have_url(re.compile(r"/hub/login"))
    steps.shot("hub-login-prompt")
    hub_three_steps(page, hub)
    steps.shot("hub-signed-in-as")
    confirm_hub_user(page, hub)
    expect(page).to_have_url(re.compile(r"/portal/admin/security"))
    expect(page.locator("#hub-link")).to_contain_text(hub.company.name)
    expect(page.locator("#hub-link")).to_contain_text("enabled")
    steps.shot("unified-login-enabled")

    # 4. App Launcher: the modules enabled for Unified Login, and the Hub link opens the Hub.
    launcher = page.locator("summary", has_text="App Launcher")
    expect(launcher).to_have_accessible_name("App Launcher")
    launcher.click()
    panel = page.locator(".launcher-panel")
    expect(panel.get_by_role("heading", name="Your apps")).to_be_visible()
    expect(panel.get_by_role("link", name="Partner Portal")).to_be_visible()
    steps.shot("app-launcher")
    panel.get_by_role("link", name="Hub", exact=True).click()
    expect(page.get_by_role("heading", name="My Modules")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Partner Portal")
    steps.shot("hub-my-modules")

    # 5. Log In with Hub from the portal's login screen: the portal password once, then nothing.
    page.goto("/portal/")
    page.get_by_role("button", name="Log out").click()
    page.goto("/portal/login")
    page.get_by_role("link", name="Log In with Hub").click()
    steps.shot("link-your-accounts")
    link_your_accounts(page, PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("banner")).to_contain_text(admin.name)
    page.get_by_role("button", name="Log out").click()
    page.goto("/portal/login")
    page.get_by_role("link", name="Log In with Hub").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))  # the hub session: nothing typed
    expect(page.get_by_role("banner")).to_contain_text(admin.name)
    steps.shot("logged-in-with-hub")

    # 6. Admin > Security Settings: Hub SSO is enabled.
    choose(page, size, "Admin", "Security Settings")
    expect(page.locator("#hub-link")).to_contain_text("enabled")

    # 7. Turn on Require Log In with Hub: User Exceptions appear at once.
    exceptions = page.get_by_role("heading", name="User Exceptions")
    expect(exceptions).to_be_hidden()
    page.get_by_label("Require Log In with Hub").check()
    expect(exceptions).to_be_visible()
    admin_row = page.locator(f'tr[data-username="{admin.username}"]')
    expect(admin_row).to_contain_text("always exempt")
    expect(admin_row.get_by_role("button")).to_have_count(0)
    row = page.locator(f'tr[data-username="{tess.username}"]')
    expect(row.locator("td").nth(2)).to_have_text("No")  # by default no one is exempt
    steps.shot("require-on-user-exceptions")

    # 8. Add (the plus icon): Exception Yes; Delete (the dustbin icon): No; Add again for tess.
    row.get_by_role("button", name="Add", exact=True).click()
    expect(row.locator("td").nth(2)).to_have_text("Yes")
    expect(page.get_by_label("Require Log In with Hub")).to_be_checked()  # Add kept the toggle
    steps.shot("exception-added")
    row.get_by_role("button", name="Delete", exact=True).click()
    expect(row.locator("td").nth(2)).to_have_text("No")
    steps.shot("exception-deleted")
    row.get_by_role("button", name="Add", exact=True).click()
    expect(row.locator("td").nth(2)).to_have_text("Yes")
    expect(page.locator("#security-audit")).to_contain_text("Added user exception")

    # 9. Enable Automatic User Creation, with a low default role for JIT implementation.
    page.get_by_label("Enable Automatic User Creation").check()
    page.get_by_label("Select default role for JIT implementation").select_option(TECHNICIAN)
    # 10. Enable Automatic User Deactivation.
    page.get_by_label("Enable Automatic User Deactivation").check()
    steps.shot("creation-and-deactivation-on")

    # 11. Click Save: one message, and a reload shows every setting kept.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved the Security Settings")
    expect(page.locator(".flash")).to_have_count(1)
    steps.shot("saved")
    page.reload()
    expect(page.get_by_label("Require Log In with Hub")).to_be_checked()
    expect(page.get_by_label("Enable Automatic User Creation")).to_be_checked()
    expect(page.get_by_label("Select default role for JIT implementation")).to_have_value(
        TECHNICIAN)
    expect(page.get_by_label("Enable Automatic User Deactivation")).to_be_checked()
    expect(exceptions).to_be_visible()
    for line in ("Require Log In with Hub", "on, default role Technician",
                 "Automatic User Deactivation"):
        expect(page.locator("#security-audit")).to_contain_text(line)
    stored = security_settings.security_settings(hub_db, partner.company_id)
    assert (stored.require_hub_login, stored.auto_create_users, stored.default_role,
            stored.auto_deactivate_users) == (True, True, TECHNICIAN, True)

    # 12. What the settings do, in another browser: tom must use the Hub, tess keeps her
    #     password, and a new hub user gets a portal account with the default role.
    other = browser.new_context(base_url=browser_stack.base_url,
                                viewport={"width": size.width, "height": size.height})
    other.set_default_timeout(15_000)
    tab = other.new_page()
    try:
        portal_password_login(tab, tom.username)
        expect(tab.get_by_role("alert")).to_contain_text("requires Log In with Hub")
        steps.follow(tab)
        steps.shot("plain-user-must-use-hub")
        portal_password_login(tab, tess.username)
        expect(tab).to_have_url(re.compile(r"/portal/$"))
        tab.get_by_role("button", name="Log out").click()
        newcomer = make_account(username=unique("nina").replace(" ", ""), role="User",
                                company=hub.company)
        tab.goto("/portal/login")
        tab.get_by_role("link", name="Log In with Hub").click()
        hub_three_steps(tab, newcomer)
        expect(tab).to_have_url(re.compile(r"/portal/$"))
        expect(tab.get_by_role("banner")).to_contain_text(TECHNICIAN)
        steps.shot("new-hub-user-created-just-in-time")
        created = [u for u in portal_store.users_of_company(partner.company_id)
                   if u.email == newcomer.user.email]
        assert len(created) == 1 and created[0].role == TECHNICIAN
    finally:
        other.close()
