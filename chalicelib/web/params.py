"""Typed path parameters: each `{name}` of a page or JSON route has one kind, checked at the edge.

A value of the wrong shape or length can name no record, so it is a 404 before storage is touched
(DynamoDB refuses partition keys over 2,048 bytes, sort keys over 1,024 and numbers over 38
digits; moto does not). Every kind is ASCII only and far below those limits. `routing` looks up
the kind of each parameter in `KINDS` when a route is declared, so no route can forget one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.errors import NotFound


@dataclass(frozen=True)
class ParamKind:
    """What one kind of path value may look like: an ASCII pattern and a maximum length."""

    label: str  # what the value names, for the 404 page ("No such organization.")
    pattern: re.Pattern[str]
    max_length: int

    def accepts(self, value: str) -> bool:
        return 0 < len(value) <= self.max_length and self.pattern.fullmatch(value) is not None

    def checked(self, value: str) -> str:
        """The value itself when well formed, else NotFound (no such thing can exist)."""
        if not self.accepts(value):
            raise NotFound(f"No such {self.label}.")
        return value


def _kind(label: str, pattern: str, max_length: int) -> ParamKind:
    return ParamKind(label, re.compile(pattern, re.ASCII), max_length)


# Ids made by `rt.random.hex(8)` (16 hex digits) or `new_id()` (32); letters, `-` and `_` are
# allowed too, for uuid-like ids and hand-made ones, up to 64 characters.
_RECORD_ID = r"[A-Za-z0-9][A-Za-z0-9_-]*"


def _record_id(label: str) -> ParamKind:
    return _kind(label, _RECORD_ID, 64)


ORGANIZATION_ID = _record_id("organization")
CONTACT_ID = _record_id("contact")
INTEGRATION_ID = _record_id("integration")
USER_ID = _record_id("user")
API_KEY_ID = _record_id("API key")
DEVICE_ID = _record_id("device")
HUB_COMPANY_ID = _record_id("hub company")
# A portal API key's public half: its company id and 16 hex digits (`portal/api_key_names.py`), or
# 32 hex digits for keys made before.
PUBLIC_KEY = _record_id("API key")
# The vendor's SaaS Protection customer ids are integers: ASCII digits, at most 18 (an int64).
CUSTOMER_ID = _kind("SaaS Protection customer", r"[0-9]+", 18)
# A module key of `auth.modules.MODULES` ("portal", "itdocs").
MODULE = _kind("module", r"[a-z][a-z0-9-]*", 32)
# A file under web/static: a plain name with an extension, never a path or a hidden file.
STATIC_FILE = _kind("file", r"[A-Za-z0-9_-][A-Za-z0-9_.-]*", 64)

# The one table: every path parameter name used by a page or JSON route, and its kind.
KINDS: dict[str, ParamKind] = {
    "contact_id": CONTACT_ID,
    "customer_id": CUSTOMER_ID,
    "device_id": DEVICE_ID,
    "integration_id": INTEGRATION_ID,
    "key_id": API_KEY_ID,
    "module": MODULE,
    "name": STATIC_FILE,
    "organization_id": ORGANIZATION_ID,
    "public_key": PUBLIC_KEY,
    "user_id": USER_ID,
}

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


class UndeclaredParameter(LookupError):
    """A route names a path parameter that has no kind in `KINDS` (a bug, found at import)."""


def kinds_for(path: str) -> dict[str, ParamKind]:
    """The kind of each `{name}` in a route path; an undeclared name fails the declaration."""
    kinds: dict[str, ParamKind] = {}
    for name in _PLACEHOLDER.findall(path):
        if name not in KINDS:
            raise UndeclaredParameter(f"{path}: path parameter {name!r} has no kind in KINDS")
        kinds[name] = KINDS[name]
    return kinds


def check(kinds: Mapping[str, ParamKind], values: Mapping[str, str]) -> None:
    """NotFound unless every path value has its kind's shape and length."""
    for name, value in values.items():
        kinds[name].checked(value)


def optional(kind: ParamKind, value: str) -> str:
    """A query or form value of `kind`: the value when well formed, else "" (as if not sent)."""
    return value if kind.accepts(value) else ""


def ascii_int(text: str, max_digits: int = 18) -> int | None:
    """The number `text` spells in ASCII digits (at most `max_digits` of them), else None.

    `str.isdigit()` accepts "¹" and "١", which `int()` then refuses or reads as another number.
    """
    if not 0 < len(text) <= max_digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)
