"""JSON request bodies read safely: a size cap and a nesting cap checked before parsing.

`json.loads` recurses once per `[` or `{`, so a body of 100,000 brackets raises RecursionError (a
500) instead of the 400 a malformed request deserves. The depth is counted in one linear pass first.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import InvalidInput

MAX_BYTES = 16 * 1024
MAX_DEPTH = 20
_OPENERS = frozenset(b"[{")
_CLOSERS = frozenset(b"]}")


def nesting_depth(raw: bytes) -> int:
    """The deepest bracket nesting in a JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif byte in _CLOSERS:
            depth -= 1
    return deepest


def json_object(raw: bytes | str | None, *, max_bytes: int = MAX_BYTES,
                max_depth: int = MAX_DEPTH) -> dict[str, Any]:
    """The body as a JSON object, or InvalidInput (400) when too large, too deep or not JSON."""
    data = (raw or b"{}") if not isinstance(raw, str) else raw.encode()
    if len(data) > max_bytes:
        raise InvalidInput(f"The body must be at most {max_bytes} bytes.")
    if nesting_depth(data) > max_depth:
        raise InvalidInput(f"The body must nest at most {max_depth} levels.")
    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("The body must be JSON.") from exc
    if not isinstance(parsed, dict):
        raise InvalidInput("The body must be a JSON object.")
    return parsed
