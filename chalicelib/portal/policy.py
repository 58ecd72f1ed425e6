"""Who may do what in the Partner Portal: a pure function, tested without HTTP."""

from __future__ import annotations

from typing import Any

from chalicelib.storage.portal.users import PortalUser

SECURITY_ADMIN = "Security Admin"
PRIMARY = "Primary"
ADMINISTRATOR = "Administrator"
TECHNICIAN = "Technician"
READ_ONLY = "Read Only"
ROLES = (SECURITY_ADMIN, PRIMARY, ADMINISTRATOR, TECHNICIAN, READ_ONLY)
ADMIN_ROLES = frozenset({SECURITY_ADMIN, PRIMARY, ADMINISTRATOR})
# Roles only a Security Admin may give, change or remove (they hold the keys to the company).
GUARDED_ROLES = frozenset({SECURITY_ADMIN, PRIMARY})

EVERYONE = frozenset({"portal.use", "organization.view", "saas.view"})
WRITERS = frozenset({"organization.create", "saas.link"})
ADMINS = frozenset({"user.list", "user.create", "user.manage", "api_key.list", "api_key.create",
                    "api_key.revoke"})
SECURITY = frozenset({"security.manage"})


def can(actor: PortalUser, action: str, resource: Any = None) -> bool:
    """True when an active `actor` may do `action` to `resource` (anything with a company_id).

    Everything is scoped to the actor's own company; Read Only users only look; admins manage
    users and API keys; only a Security Admin touches Security Admins, Primary users and security
    settings; nobody changes their own status.
    """
    if actor.status != "active":
        return False
    if resource is not None and getattr(resource, "company_id", None) != actor.company_id:
        return False
    if action in EVERYONE:
        return True
    if action in WRITERS:
        return actor.role != READ_ONLY
    if action in SECURITY:
        return actor.role == SECURITY_ADMIN
    if action not in ADMINS or actor.role not in ADMIN_ROLES:
        return False
    if action in {"user.create", "user.manage"} and isinstance(resource, PortalUser):
        if action == "user.manage" and resource.user_id == actor.user_id:
            return False
        if resource.role in GUARDED_ROLES and actor.role != SECURITY_ADMIN:
            return False
    return True
