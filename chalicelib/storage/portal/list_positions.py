"""Dense positions for the REST API's paged lists, so page N is one key range and costs O(page).

Each listed item (a seat, a customer) stores `list_key` = `<part>#<position, 10 digits>`, where the
part is the seat type (or `all` for customers) and positions are 0, 1, 2, ... per (owner, part).
A size item per (owner, part) hands out positions by an atomic ADD, so parallel bulk loads never
share one, and says how many exist: page N of a list is `list_key BETWEEN` two computed keys on an
index, with no cursor to carry and no read of the pages before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.models import Model

from chalicelib.storage.base import is_condition_failure, translated
from chalicelib.storage.together import Wanted

POSITION_DIGITS = 10
WHOLE_LIST = "all"


class ListSizeModel(Model):
    class Meta:
        logical_name = "portal_list_sizes"
        table_name = "portal_list_sizes"

    owner = UnicodeAttribute(hash_key=True)  # "seats#<saasCustomerId>" or "customers#<company>"
    part = UnicodeAttribute(range_key=True)  # the seat type, or "all"
    size = NumberAttribute(default=0)


@dataclass(frozen=True)
class KeyRange:
    """One Query's worth of a page: `list_key` from `first` to `last`, `count` items."""

    first: str
    last: str
    count: int


def list_key(part: str, position: int) -> str:
    return f"{part}#{position:0{POSITION_DIGITS}d}"


def reserve(owner: str, part: str, count: int) -> int:
    """The first of `count` fresh positions of (owner, part): one atomic UpdateItem."""
    model = ListSizeModel(owner, part)
    with translated():
        model.update(actions=[ListSizeModel.size.add(count)])
    return int(model.size) - count


def release(owner: str, part: str, position: int) -> None:
    """Give back the last position reserved (an item that was never written), if still last.

    A conditional UpdateItem: when another reservation came since, the position stays empty
    (its page is one item short; no item is missed or repeated).
    """
    try:
        with translated():
            ListSizeModel(owner, part).update(actions=[ListSizeModel.size.add(-1)],
                                              condition=ListSizeModel.size == position + 1)
    except UpdateError as exc:
        if not is_condition_failure(exc):
            raise


def sizes(owner: str) -> dict[str, int]:
    """How many positions each part of an owner's list holds (one Query of a few small items)."""
    with translated():
        return {m.part: int(m.size) for m in ListSizeModel.query(owner)}


def size_items(owner: str, parts: Sequence[str]) -> list[Wanted]:
    """The size items of these parts of an owner's list, to read with other items in one call."""
    return [Wanted(ListSizeModel, owner, part) for part in parts]


def sizes_read(parts: Sequence[str], items: Sequence[Model | None]) -> dict[str, int]:
    """The sizes `size_items` read, in the shape `sizes` answers (parts never filled: absent)."""
    return {part: int(item.size) for part, item in zip(parts, items, strict=True)
            if isinstance(item, ListSizeModel)}


def page_ranges(part_sizes: dict[str, int], parts: Sequence[str], offset: int,
                limit: int) -> list[KeyRange]:
    """The key ranges holding items [offset, offset + limit) of `parts` listed in key order.

    Parts next to each other in the whole list's key order share one range (one Query), so an
    unfiltered page is always a single Query, even where it crosses from one part to the next.
    """
    filled = [part for part in sorted(part_sizes) if part_sizes[part] > 0]
    ranges: list[KeyRange] = []
    start, previous = 0, ""
    for part in sorted(set(parts) & set(filled)):
        size = part_sizes[part]
        low, high = max(offset - start, 0), min(offset + limit - start, size)
        start += size
        if low >= high:
            continue
        piece = KeyRange(list_key(part, low), list_key(part, high - 1), high - low)
        if previous and filled.index(part) == filled.index(previous) + 1:
            joined = ranges.pop()
            piece = KeyRange(joined.first, piece.last, joined.count + piece.count)
        ranges.append(piece)
        previous = part
    return ranges
