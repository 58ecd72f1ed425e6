"""The hub's module registry: which modules a hub company has linked, and launching them.

A module links itself with its own client credentials plus the access token a hub Master obtained
by signing in to it with the hub; the hub then lists the module in My Modules for users granted it.
Only the built-in module clients use these services.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.auth.hub import accounts, sessions
from chalicelib.auth.hub.oidc.clients import Client
from chalicelib.auth.hub.policy import MODULES, can
from chalicelib.errors import Forbidden, InvalidInput, NotFound, OAuthError
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import companies as company_store
from chalicelib.storage.hub import module_links
from chalicelib.storage.hub import oidc_tokens as oidc_store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.companies import HubCompany
from chalicelib.storage.hub.users import HubUser

MAX_LAUNCH_URL = 2000


@dataclass(frozen=True)
class Link:
    """A module linked to a hub company."""

    module: str
    hub_company_id: str
    hub_company_name: str
    launch_url: str


def module_of(client: Client, module: str) -> str:
    """The module a built-in client speaks for; any other client is refused."""
    if client.module is None or client.module != module or module not in MODULES:
        raise Forbidden("Only the module itself may use its hub services.")
    return module


def token_user(rt: Runtime, client: Client, access_token: str) -> HubUser:
    """The active user an access token issued to this client belongs to (401 otherwise)."""
    invalid = OAuthError("invalid_token", "The access token is not valid.", status=401)
    token = access_token.strip()
    if not token or len(token) > 512:
        raise invalid
    record = oidc_store.get_access_token(hashlib.sha256(token.encode()).hexdigest())
    if (record is None or record.revoked or rt.clock.now() >= record.expires_at
            or record.client_id != client.client_id):
        raise invalid
    try:
        user = user_store.get_user(record.user_id)
    except NotFound as exc:
        raise invalid from exc
    if user.status != "active":
        raise invalid
    return user


def checked_launch_url(client: Client, launch_url: str) -> str:
    """A launch URL on the module's own origin, under its own path (no open redirect)."""
    url = launch_url.strip()
    parts, home = urlsplit(url), urlsplit(client.redirect_uris[0])
    if (len(url) > MAX_LAUNCH_URL or any(ch.isspace() or ord(ch) < 32 for ch in url)
            or (parts.scheme, parts.netloc) != (home.scheme, home.netloc)
            or not parts.path.startswith(f"/{client.module}/") or parts.fragment
            or "@" in parts.netloc):
        raise InvalidInput("The launch URL must be an address of the module itself.",
                           field="launch_url")
    return url


def link(rt: Runtime, client: Client, module: str, *, access_token: str,
         launch_url: str) -> Link:
    """Link the module to the token user's hub company; only a hub Master may."""
    module = module_of(client, module)
    user = token_user(rt, client, access_token)
    if not can(user, "module.link"):
        raise Forbidden(f"Only a Master user of the hub can link {MODULES[module]}.")
    url = checked_launch_url(client, launch_url)
    module_links.set_company_module_audited(user.company_id, module, {
        "launch_url": url, "linked_at": rt.clock.now().isoformat(), "linked_by": user.username,
    }, accounts.audit_entry(rt, user.company_id, user, "module.link", MODULES[module]))
    return Link(module, user.company_id, user.company_name, url)


def unlink(rt: Runtime, client: Client, module: str, *, hub_company_id: str) -> None:
    """Forget the module's link to a hub company (and its insights); unlinking twice is harmless."""
    module = module_of(client, module)
    if not hub_company_id:
        raise InvalidInput("Name the hub company.", field="hub_company_id")
    company = company_store.get_company(hub_company_id)
    if module not in company.linked_modules:
        return
    module_links.set_company_module_audited(company.company_id, module, None, accounts.audit_entry(
        rt, company.company_id, None, "module.unlink", MODULES[module]))


def linked_company(client: Client, module: str, hub_company_id: str) -> HubCompany:
    """The hub company, if this module is linked to it (another company is NotFound)."""
    module = module_of(client, module)
    if not hub_company_id:
        raise InvalidInput("Name the hub company.", field="hub_company_id")
    try:
        company = company_store.get_company(hub_company_id)
    except NotFound as exc:
        raise NotFound(f"{MODULES[module]} is not linked to that hub company.") from exc
    if module not in company.linked_modules:
        raise NotFound(f"{MODULES[module]} is not linked to that hub company.")
    return company


def my_modules(user: HubUser, company: HubCompany) -> list[dict[str, str]]:
    """The linked modules this user was granted, for My Modules (launched through the hub)."""
    return [
        {"key": key, "title": MODULES[key], "url": f"/hub/launch/{key}"}
        for key in sorted(company.linked_modules)
        if key in MODULES and key in user.modules
    ]


def launch_url(actor: HubUser, module: str) -> str:
    """Where My Modules sends this user for a module: its launch URL, if linked and granted."""
    if module not in MODULES:
        raise NotFound("No such module.")
    if not can(actor, "module.use") or module not in actor.modules:
        raise Forbidden(f"Your hub account does not have access to {MODULES[module]}. "
                        "Ask a Master user of your company to grant it on the Users page.")
    link = sessions.company_of(actor).linked_modules.get(module)
    if not link or not link.get("launch_url"):
        raise NotFound(f"{MODULES[module]} is not linked to your company yet. Its administrator "
                       "links it from the module's security settings.")
    return str(link["launch_url"])


def launcher_modules(actor: HubUser) -> list[dict[str, str]]:
    """My Modules for the hub banner's App Launcher: the company read with the session."""
    return my_modules(actor, sessions.company_of(actor))
