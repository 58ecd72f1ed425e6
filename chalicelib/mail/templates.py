"""Mails composed from templates: `<name>.txt` (plain text) and `<name>.html` (simple HTML)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chalicelib.mail.message import Mail

FOLDER = Path(__file__).parent / "templates"


@functools.lru_cache(maxsize=1)
def _environment() -> Environment:
    """HTML templates escape every value; text templates keep it as written."""
    return Environment(loader=FileSystemLoader(FOLDER), undefined=StrictUndefined,
                       autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


def compose(template: str, to: str, subject: str, **values: Any) -> Mail:
    """The mail `template` makes for `to` with `values` (both the text and the HTML part)."""
    env = _environment()
    text = env.get_template(f"{template}.txt").render(subject=subject, **values)
    html = env.get_template(f"{template}.html").render(subject=subject, **values)
    return Mail(to=to, subject=subject, text=text, html=html, template=template)
