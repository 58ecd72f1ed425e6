"""The Jinja2 environment: autoescaped templates under web/templates/."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

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


def format_when(moment: Any) -> str:
    if moment is None:
        return "never"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
