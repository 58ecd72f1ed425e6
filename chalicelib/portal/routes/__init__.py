"""The Partner Portal's pages under /portal: one module per first URL segment."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.portal.routes import admin, home, login, logout, organizations, saas, sso

PREFIX = "/portal"
MOUNTS: tuple[tuple[Blueprint, str], ...] = tuple(
    (module.routes, PREFIX) for module in (login, logout, home, admin, organizations, saas, sso))
