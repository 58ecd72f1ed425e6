"""Partner Portal pages for Log In with Hub: linking, security settings, callback, tenants."""

from __future__ import annotations

from chalice.app import Blueprint

portal_sso_routes = Blueprint(__name__)
