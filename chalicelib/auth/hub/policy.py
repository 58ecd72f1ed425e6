"""Who may do what in the hub: a pure function, tested without HTTP."""

from __future__ import annotations

from chalicelib.auth import modules
from chalicelib.storage.hub.users import HubUser

MASTER = "Master"
USER = "User"
ROLES = (MASTER, USER)
MODULES = modules.MODULES

MASTER_ACTIONS = {
    "user.create",
    "user.deactivate",
    "user.reactivate",
    "user.delete",
    "user.reset_mfa",
    "user.grant_module",
    "user.revoke_module",
    "client.register",
    "client.list",
    "company.view_audit",
    "module.link",
}
# What every active user may do for themselves: open modules, see and manage their push devices.
SELF_ACTIONS = {"module.use", "device.list", "device.enroll", "device.remove", "password.change"}


def can(actor: HubUser, action: str, target: HubUser | None = None) -> bool:
    """Masters manage their company's users (never locking themselves out); everyone their own."""
    if actor.status != "active":
        return False
    if target is not None and target.company_id != actor.company_id:
        return False
    if action in SELF_ACTIONS:
        return True
    if action not in MASTER_ACTIONS or actor.role != MASTER:
        return False
    if target is not None and target.user_id == actor.user_id and action in {
        "user.deactivate",
        "user.delete",
    }:
        return False  # a Master cannot remove their own access
    return True
