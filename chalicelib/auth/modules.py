"""The modules the hub signs users into, and each one's built-in OIDC client credentials.

Shared by the hub (which accepts these clients) and by the modules (which sign in with them); it
reads no table, so a module using it is granted nothing of the hub's.
"""

from __future__ import annotations

from chalicelib.secretbox import derived_secret
from chalicelib.settings import Settings

MODULES = {"portal": "Partner Portal", "itdocs": "IT Docs"}


def redirect_uri(settings: Settings, module: str) -> str:
    return f"{settings.base_url.rstrip('/')}/{module}/sso/callback"


def client_secret(settings: Settings, module: str) -> str:
    """The module's client secret, derived from the deployment's signing secret."""
    return derived_secret(settings, f"oidc-client:{module}")


def builtin_client(settings: Settings, module: str) -> tuple[str, str, str]:
    """A built-in module's (client_id, client_secret, redirect_uri), for that module's sign-in."""
    if module not in MODULES:
        raise KeyError(module)
    return module, client_secret(settings, module), redirect_uri(settings, module)
