"""IT Docs pages."""

from __future__ import annotations

from chalice.app import Blueprint

itdocs_routes = Blueprint(__name__)
