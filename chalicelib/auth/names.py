"""Names people see and sign in with: how they are compared, and which characters they may hold.

Usernames, company names and display names refuse Unicode categories C (controls, format
characters such as zero-width spaces and bidirectional overrides, private use, unassigned) and Z
(separators), so no two accounts can look alike while differing in invisible characters. Names of
several words keep the plain space (U+0020); usernames have none at all.
"""

from __future__ import annotations

import re
import unicodedata

from chalicelib.errors import InvalidInput

_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """The comparison form of a company name or username."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()


def login_key(company_name: str, username: str) -> str:
    return f"{name_key(company_name)}/{name_key(username)}"


def hidden_characters(text: str, *, spaces: bool) -> list[str]:
    """The characters of categories C or Z in `text` (U+0020 allowed when `spaces`)."""
    return [
        ch for ch in text
        if unicodedata.category(ch)[0] in "CZ" and not (spaces and ch == " ")
    ]


def check_visible(text: str, *, field: str, what: str, spaces: bool = True) -> str:
    """`text` unchanged, or InvalidInput naming the first invisible or look-alike character."""
    found = hidden_characters(text, spaces=spaces)
    if found:
        raise InvalidInput(
            f"The {what} contains an invisible or control character (U+{ord(found[0]):04X}).",
            field=field,
        )
    return text


def check_username(username: str, field: str = "username") -> str:
    return check_visible(username, field=field, what="username", spaces=False)


def check_company_name(name: str, field: str = "company") -> str:
    return check_visible(name, field=field, what="company name")


def check_display_name(name: str, field: str = "name") -> str:
    return check_visible(name, field=field, what="name")
