"""The SaaS Protection REST API v1 under /api/v1: one module per first URL segment.

`serving` frames every answer (auth order, error bodies, rate-limit headers); `unknown` gives
every other path the contract's 404.
"""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.portal.api_routes import saas, unknown

PREFIX = "/api/v1"
MOUNTS: tuple[tuple[Blueprint, str], ...] = ((saas.routes, PREFIX), (unknown.routes, PREFIX))
