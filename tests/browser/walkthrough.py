"""What the article walk-throughs share: the two screen sizes, numbered step screenshots a
reviewer can look at, and the navigation's menus as the articles name them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
# Ignored by git (.gitignore): test-output/walkthroughs/<article>/<size>/NN-step.png
OUTPUT = ROOT / "test-output" / "walkthroughs"
COMPACT_BELOW = 800  # px: the navigation is one "Menu" under this width (static/app.css)


@dataclass(frozen=True)
class Size:
    """A screen the walk-through runs on: the article's words are the same on both."""

    name: str
    width: int
    height: int

    @property
    def compact(self) -> bool:
        return self.width < COMPACT_BELOW


SIZES = (Size("desktop", 1280, 900), Size("phone", 390, 844))


class Steps:
    """Numbered full-page screenshots of one walk-through, for a reviewer to look at."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    @classmethod
    def of(cls, page: Page, article: str, size: Size) -> Steps:
        return cls(page, OUTPUT / article / size.name)

    def follow(self, tab: Page) -> None:
        """Go on numbering in another tab (another browser the article's reader opens)."""
        self.page = tab

    def shot(self, name: str) -> Path:
        """Save the page as the reader sees it now, as the next numbered step."""
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


def choose(page: Page, size: Size, group: str, item: str) -> None:
    """"{group} > {item}" in the banner: its menu on a desktop, the one "Menu" on a phone."""
    if size.compact:
        page.locator("summary", has_text="Menu").click()
        page.get_by_role("navigation", name="Main menu").get_by_role(
            "link", name=re.compile(rf"^{re.escape(group)} [›>] {re.escape(item)}$")).click()
    else:
        main = page.get_by_role("navigation", name="Main", exact=True)
        main.get_by_text(group, exact=True).click()
        main.get_by_role("link", name=item).click()
