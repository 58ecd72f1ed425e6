"""The typed banner every product page shows for its signed-in user (templates/base.html)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class NavLink:
    """One link of a product's main navigation, shown when `action` is allowed (None: always)."""

    label: str
    href: str
    action: str | None = None


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
class Banner:
    """Who is signed in, where, what they may open, and how they log out."""

    user_name: str
    tenant_name: str
    nav: tuple[NavLink, ...]
    logout_path: str
    role: str = ""  # the hub shows none
    app_launcher: tuple[LauncherEntry, ...] = ()


def visible_links(links: Iterable[NavLink], allowed: Callable[[str], bool]) -> tuple[NavLink, ...]:
    """The links whose action the product's `can()` allows for this user, in their order."""
    return tuple(link for link in links if link.action is None or allowed(link.action))
