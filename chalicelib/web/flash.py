"""Flash messages by code: a redirect names a code, the product's table holds the sentence.

    return page.redirect(flash.location("/portal/organizations", "organization_created",
                                        name=created.name))
    page.render(..., flash=flash.message(FLASHES, page.query()))

A sentence may name things (`"Created {name}"`); each travels as its own URL-quoted query
parameter, capped in length and HTML-escaped when shown. An unknown code shows nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from urllib.parse import urlencode

CODE = "done"
MAX_NAME = 200


def location(path: str, code: str, **names: str) -> str:
    """`path` with the flash code and the names its sentence shows, as a URL-quoted query."""
    query = {CODE: code} | {field: value[:MAX_NAME] for field, value in names.items()}
    return f"{path}?{urlencode(query)}"


def message(table: Mapping[str, str], query: Mapping[str, str]) -> str:
    """The table's sentence for the query's code with its names filled in ("" when unknown)."""
    sentence = table.get(query.get(CODE, ""))
    if sentence is None:
        return ""
    names = {field: query.get(field, "")[:MAX_NAME] for field in _fields(sentence)}
    return sentence.format_map(names)


def _fields(sentence: str) -> list[str]:
    return [field for _, field, _, _ in Formatter().parse(sentence) if field]
