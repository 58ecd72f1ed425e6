"""Name keys: how company names and usernames are compared (Unicode NFKC, case, whitespace)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """The comparison form of a company name or username."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()


def login_key(company_name: str, username: str) -> str:
    return f"{name_key(company_name)}/{name_key(username)}"
