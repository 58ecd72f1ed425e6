"""The typed banner every product page shows for its signed-in user (templates/base.html)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

# "Admin: Users", "Account › Users", "Admin > Users": the link "Users" of the menu "Admin".
MENU_SEPARATOR = re.compile(r"\s*(?::|›|>)\s+")


@dataclass(frozen=True)
class NavLink:
    """One link of a product's main navigation, shown when `action` is allowed (None: always)."""

    label: str
    href: str
    action: str | None = None


@dataclass(frozen=True)
class NavGroup:
    """A menu of the navigation ("Admin" > its links), or one plain link when `label` is empty."""

    label: str
    links: tuple[NavLink, ...]


class LauncherEntry(Protocol):
    """One link of the App Launcher (hub_services.app_launcher builds them)."""

    @property
    def key(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def current(self) -> bool: ...


@dataclass(frozen=True)
class LauncherLink:
    """An App Launcher entry built by the hub itself (modules build theirs in hub_services)."""

    key: str
    title: str
    url: str
    current: bool = False


HUB_KEY = "hub"  # the launcher entry that opens the hub; the others are the user's modules


@dataclass(frozen=True)
class Banner:
    """Who is signed in, where, what they may open, and how they log out."""

    user_name: str
    tenant_name: str
    nav: tuple[NavLink, ...]
    logout_path: str
    role: str = ""  # the hub shows none
    app_launcher: tuple[LauncherEntry, ...] = ()
    # Or entries read only if a page shows the banner (a redirect reads nothing).
    app_launcher_source: Callable[[], tuple[LauncherEntry, ...]] | None = None

    @functools.cached_property
    def launcher_entries(self) -> tuple[LauncherEntry, ...]:
        """The App Launcher's entries, from the source (once) when one was given."""
        return self.app_launcher_source() if self.app_launcher_source else self.app_launcher

    @property
    def nav_groups(self) -> tuple[NavGroup, ...]:
        """The navigation as the wide banner shows it: links sharing a menu word form a menu."""
        return grouped(self.nav)

    @property
    def launcher_apps(self) -> tuple[LauncherEntry, ...]:
        """The modules the App Launcher lists under its heading (the hub is its own link)."""
        return tuple(entry for entry in self.launcher_entries if entry.key != HUB_KEY)

    @property
    def launcher_hub(self) -> LauncherEntry | None:
        """The App Launcher's link to the hub, if it has one."""
        return next((entry for entry in self.launcher_entries if entry.key == HUB_KEY), None)


def visible_links(links: Iterable[NavLink], allowed: Callable[[str], bool]) -> tuple[NavLink, ...]:
    """The links whose action the product's `can()` allows for this user, in their order."""
    return tuple(link for link in links if link.action is None or allowed(link.action))


def grouped(links: Iterable[NavLink]) -> tuple[NavGroup, ...]:
    """Links in order; those labelled "Menu: Item" join the menu "Menu" where it first appears."""
    groups: list[NavGroup] = []
    for link in links:
        menu, item = split_label(link.label)
        shown = NavLink(item, link.href, link.action)
        index = next((i for i, g in enumerate(groups) if menu and g.label == menu), None)
        if index is None:
            groups.append(NavGroup(menu, (shown,)))
        else:
            groups[index] = NavGroup(menu, groups[index].links + (shown,))
    return tuple(groups)


def split_label(label: str) -> tuple[str, str]:
    """("Admin", "Users") for "Admin: Users"; ("", label) for a label naming no menu."""
    parts = MENU_SEPARATOR.split(label, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 and parts[0] else ("", label)
