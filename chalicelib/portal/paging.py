"""`_page`/`_perPage` of the REST API's lists, and the totals announced beside a bare array.

The vendor's lists answer a bare JSON array (the contract), so the totals a client needs to know
it has every item travel as response headers: `X-Total-Count` (items in the whole list),
`X-Total-Pages` (pages at this `_perPage`), `X-Page` and `X-Per-Page` (what was served).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput

# The vendor's defaults (its public clients send `_page=1&_perPage=100` unless told otherwise).
DEFAULT_PAGE = 1
DEFAULT_PER_PAGE = 100
# Our bound: 1,000 seats are ~220 KB of JSON, far below Lambda's 6 MB response limit.
MAX_PER_PAGE = 1000


@dataclass(frozen=True)
class Paging:
    """Which page a list request asks for (1-based), validated."""

    page: int = DEFAULT_PAGE
    per_page: int = DEFAULT_PER_PAGE

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidInput("_page must be a whole number of at least 1.", field="_page")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InvalidInput(f"_perPage must be a whole number from 1 to {MAX_PER_PAGE}.",
                               field="_perPage")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class PagedList:
    """One page of a list (the bare array the contract returns) and the whole list's size."""

    items: list[dict[str, Any]]
    paging: Paging
    total: int

    @property
    def total_pages(self) -> int:
        return -(-self.total // self.paging.per_page)

    def headers(self) -> dict[str, str]:
        """The totals a client pages by: it has everything after page X-Total-Pages."""
        return {"X-Total-Count": str(self.total), "X-Total-Pages": str(self.total_pages),
                "X-Page": str(self.paging.page), "X-Per-Page": str(self.paging.per_page)}
