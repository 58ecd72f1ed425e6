"""Read IT Docs' "Actions" menus from a page as a browser without JavaScript sees them.

A menu is a `<details class="actions-menu">` whose `<summary>` reads "Actions"; each item is a link
or a form (method, action, its hidden fields and its button's text). `submit` posts a form item the
way the browser would, so tests follow the menu rather than a URL they know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from tests.web_client import Reply, WebClient


@dataclass
class MenuItem:
    label: str = ""
    href: str | None = None
    method: str = "get"
    action: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class Menu:
    summary: str = ""
    items: list[MenuItem] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [item.label for item in self.items]

    def item(self, label: str) -> MenuItem:
        found = [item for item in self.items if item.label == label]
        assert len(found) == 1, f"{label!r} not once in {self.labels}"
        return found[0]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.menus: list[Menu] = []
        self._menu: Menu | None = None
        self._item: MenuItem | None = None
        self._in: str | None = None  # "summary", "a" or "button": whose text is read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "details" and "actions-menu" in found.get("class", "").split():
            self._menu = Menu()
        elif self._menu is not None:
            self._start_in_menu(tag, found)

    def _start_in_menu(self, tag: str, found: dict[str, str]) -> None:
        assert self._menu is not None
        if tag == "summary":
            self._in = "summary"
        elif tag == "li":
            self._item = MenuItem()
            self._menu.items.append(self._item)
        elif tag == "a" and self._item is not None:
            self._item.href, self._in = found.get("href"), "a"
        elif tag == "form" and self._item is not None:
            self._item.method = found.get("method", "get").lower()
            self._item.action = found.get("action")
        elif tag == "input" and self._item is not None and found.get("type") == "hidden":
            self._item.fields[found.get("name", "")] = found.get("value", "")
        elif tag == "button":
            self._in = "button"

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self._menu is not None:
            self.menus.append(self._menu)
            self._menu = self._item = None
        elif tag in ("summary", "a", "button"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._menu is None or self._in is None:
            return
        if self._in == "summary":
            self._menu.summary += data.strip()
        elif self._item is not None:
            self._item.label = (self._item.label + " " + data.strip()).strip()


def actions_menus(html: str) -> list[Menu]:
    """Every Actions menu of the page (or of a piece of it), in order."""
    reader = _Reader()
    reader.feed(html)
    return reader.menus


def only_menu(html: str) -> Menu:
    menus = actions_menus(html)
    assert len(menus) == 1, f"{len(menus)} Actions menus"
    assert menus[0].summary == "Actions"
    return menus[0]


def submit(client: WebClient, item: MenuItem, follow: bool = True) -> Reply:
    """Post a form item of a menu with its hidden fields (the CSRF token among them)."""
    assert item.method == "post" and item.action, f"{item.label} is not a form"
    fields = {k: v for k, v in item.fields.items() if k != "csrf_token"}
    return client.post(item.action, fields, csrf=item.fields.get("csrf_token"), follow=follow)
