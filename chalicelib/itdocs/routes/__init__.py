"""IT Docs' pages and JSON API, mounted at /itdocs: one module per first URL segment.

`/itdocs/` home.py, `/itdocs/login` login.py, `/itdocs/logout` logout.py, `/itdocs/sso/...`
sso.py, `/itdocs/account/...` the account package (one module per second segment),
`/itdocs/organizations/...` organizations.py, `/itdocs/integrations/...` integrations.py (the
matching screen), `/itdocs/api/...` api.py. What the pages share is in pages.py.
"""

from __future__ import annotations

from chalice.app import Blueprint

from chalicelib.itdocs.routes import (
    api,
    home,
    integrations,
    login,
    logout,
    organizations,
    sso,
)
from chalicelib.itdocs.routes.account import api_keys, users
from chalicelib.itdocs.routes.account import integrations as account_integrations
from chalicelib.itdocs.routes.account import sso as account_sso

PREFIX = "/itdocs"
MOUNTS: tuple[tuple[Blueprint, str], ...] = tuple(
    (module.routes, PREFIX)
    for module in (home, login, logout, sso, account_integrations, users, api_keys, account_sso,
                   organizations, integrations, api)
)
