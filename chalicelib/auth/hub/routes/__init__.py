"""The hub's pages and JSON endpoints under /hub: one module per first URL segment."""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.auth.hub.routes import (
    account,
    admin,
    home,
    invitation,
    launch,
    login,
    logout,
    modules,
    oidc,
    push,
    verify_email,
    well_known,
)

MOUNTS: tuple[tuple[Blueprint, str], ...] = tuple(
    (segment.routes, "/hub")
    for segment in (home, login, logout, account, admin, oidc, well_known, push, launch, modules,
                    invitation, verify_email)
)
