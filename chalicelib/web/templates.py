"""The Jinja2 environment: autoescaped templates under web/templates/.

`{{ moment | when }}` shows a time as `<time datetime="...Z" data-local>... UTC</time>`: the
server keeps and renders UTC, and static/kit.js rewrites it into the viewer's time zone with the
UTC text in its tooltip (without JavaScript the page shows UTC).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

TEMPLATE_DIR = Path(__file__).parent / "templates"


@functools.lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_when
    return env


def format_when(moment: datetime | None) -> str:
    """A UTC time as a `<time>` element the browser may show in its own zone ("never" if None)."""
    if moment is None:
        return "never"
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    stamp = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}" data-local>{}</time>').format(
        stamp, utc.strftime("%Y-%m-%d %H:%M UTC"))


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
