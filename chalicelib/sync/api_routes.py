"""IT Docs JSON API for syncs (`/itdocs/api/...`), authenticated with an IT Docs API key."""

from __future__ import annotations

from chalice.app import Blueprint

sync_api_routes = Blueprint(__name__)
