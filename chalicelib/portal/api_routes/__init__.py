"""The SaaS Protection REST API v1 under /api/v1: one module per first URL segment.

`serving` frames every answer (auth order, error bodies, rate-limit headers) and, as HTTP
middleware (`frame_api_answers`), the few answers Chalice makes itself; `params` parses every id
and number; `unknown` gives every other path the contract's 404; `openapi` publishes the contract
(`/api/v1/openapi.json`).
"""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.portal.api_routes import openapi, saas, unknown
from chalicelib.portal.api_routes.serving import PREFIX, frame_api_answers

MOUNTS: tuple[tuple[Blueprint, str], ...] = (
    (saas.routes, PREFIX), (openapi.routes, PREFIX), (unknown.routes, PREFIX))
__all__ = ["MOUNTS", "PREFIX", "frame_api_answers"]
