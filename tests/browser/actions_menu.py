"""IT Docs' "Actions" menus in a real browser, chosen as the articles say: Actions > Matching."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect


def choose_action(scope: Page | Locator, action: str) -> None:
    """Open the Actions menu in `scope` (a table row, or a page with one menu), then `action`."""
    menu = scope.locator("details.actions-menu")
    menu.get_by_text("Actions", exact=True).click()
    expect(menu).to_have_attribute("open", "")
    menu.locator("li").get_by_text(action, exact=True).click()
