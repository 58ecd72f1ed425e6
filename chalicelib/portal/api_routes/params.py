"""Every id and number of an /api/v1 request, parsed once here: ASCII only, bounded in length.

`str.isdigit()` accepts `¹` and `١` (which `int()` then refuses or reads as `1`), and `int()`
refuses more than 4,300 digits, so digits are checked as ASCII of bounded length before any
conversion. A malformed path id names nothing (404, like an unknown id); a malformed query number
is a 400 naming the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

from chalicelib.errors import InvalidInput, NotFound

# The vendor's customer ids are integers: at most 18 digits keeps them in an int64 (and far below
# DynamoDB's 38-digit numbers).
CUSTOMER_ID_DIGITS = 18
# `Classic:Office365:123456`: printable ASCII, no spaces.
SUBSCRIPTION_ID = re.compile(r"[\x21-\x7e]{1,200}", re.ASCII)
# Query numbers (daysUntil, _page, _perPage): six digits is more than any of them means.
QUERY_NUMBER_DIGITS = 6


def ascii_digits(value: str, max_digits: int) -> int | None:
    """The number `value` writes in 1 to `max_digits` ASCII digits, else None."""
    if not 0 < len(value) <= max_digits or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def customer_id(raw: str) -> int:
    """`{saasCustomerId}` of a path: ASCII digits only, else no such customer."""
    number = ascii_digits(unquote(raw), CUSTOMER_ID_DIGITS)
    if number is None:
        raise NotFound("No such SaaS Protection customer.")
    return number


def customer_hint(raw: str) -> int | None:
    """The path's customer id to read with the key, None when malformed (the endpoint refuses
    it in its turn, after the credentials and the budget)."""
    return ascii_digits(unquote(raw), CUSTOMER_ID_DIGITS)


def subscription_id(raw: str) -> str:
    """`{externalSubscriptionId}` of a path (percent-decoded), else no such subscription."""
    value = unquote(raw)
    if SUBSCRIPTION_ID.fullmatch(value) is None:
        raise NotFound("No such subscription for this customer.")
    return value


def query_number(query: Mapping[str, str], name: str, default: int) -> int:
    """A whole number from the query string (`default` when absent), else a 400 naming it."""
    raw = query.get(name)
    if raw is None:
        return default
    number = ascii_digits(raw, QUERY_NUMBER_DIGITS)
    if number is None:
        raise InvalidInput(f"{name} must be a whole number of at most {QUERY_NUMBER_DIGITS} "
                           "digits.", field=name)
    return number


def query_flag(query: Mapping[str, str], name: str) -> bool:
    """`0` or `1` (absent is `0`), else a 400 naming it."""
    raw = query.get(name, "0")
    if raw not in {"0", "1"}:
        raise InvalidInput(f"{name} must be 0 or 1.", field=name)
    return raw == "1"
