"""Routes shared by every context: the front door and static assets."""

from __future__ import annotations

from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.web import http, params

web_routes = Blueprint(__name__)
MOUNTS: tuple[tuple[Blueprint, str | None], ...] = ((web_routes, None),)

STATIC_DIR = Path(__file__).parent / "static"
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
FAVICON = "favicon.svg"


@web_routes.route("/")
def front_door() -> Response:
    return http.redirect("/hub/", status=302)


@web_routes.route("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for by default: ours, an SVG (pages also name it in their head)."""
    return static_asset(FAVICON)


@web_routes.route("/static/{name}")
def static_asset(name: str) -> Response:
    """A file of web/static; any other name (a path, too long for the file system) is a 404."""
    path = STATIC_DIR / name
    if not params.STATIC_FILE.accepts(name) or path.suffix not in STATIC_TYPES or \
            not path.is_file():
        return http.response("Not found", status=404, content_type="text/plain")
    return http.response(
        path.read_text(),
        content_type=STATIC_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=300"},
    )
