"""Who may do what in IT Docs: a pure function of the user's role, tested without HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from chalicelib.errors import Forbidden

ADMINISTRATOR = "Administrator"
MANAGER = "Manager"
EDITOR = "Editor"
READ_ONLY = "Read Only"
ROLES = (ADMINISTRATOR, MANAGER, EDITOR, READ_ONLY)
DEFAULT_ROLE = READ_ONLY

EVERYONE = frozenset({"itdocs.use", "organization.view", "contact.view"})
EDITORS = frozenset({"organization.create", "organization.edit", "contact.create",
                     "contact.edit"})
MANAGERS = frozenset({"integration.view", "integration.manage", "matching.manage"})
ADMINS = frozenset({"account.manage", "user.manage", "api_key.manage", "organization.delete"})
ALLOWED: dict[str, frozenset[str]] = {
    ADMINISTRATOR: EVERYONE | EDITORS | MANAGERS | ADMINS,
    MANAGER: EVERYONE | EDITORS | MANAGERS,
    EDITOR: EVERYONE | EDITORS,
    READ_ONLY: EVERYONE,
}

ADMINISTRATORS_ONLY = "Only Administrators manage the account."
# The sentence a refusal shows, per action (others get Forbidden's general sentence).
REFUSALS: dict[str, str] = {
    "account.manage": ADMINISTRATORS_ONLY,
    "user.manage": ADMINISTRATORS_ONLY,
    "api_key.manage": ADMINISTRATORS_ONLY,
    "integration.view": "Only Administrators and Managers can see integrations.",
    "integration.manage": "Only Administrators and Managers manage integrations.",
    "matching.manage": "Only Administrators and Managers can change matches.",
    "organization.delete": "Only Administrators delete organizations.",
}


class Actor(Protocol):
    @property
    def role(self) -> str: ...


def can(user: Actor, action: str) -> bool:
    """True when a user with this role may do `action` (unknown roles and actions: never).

    Read Only users look; Editors write organizations and contacts; Managers also run
    integrations and matching; Administrators also manage the account, users and API keys.
    """
    return action in ALLOWED.get(user.role, frozenset())


def require(user: Actor, action: str, refusals: Mapping[str, str] = REFUSALS) -> None:
    """Raise Forbidden, saying who may, unless `can(user, action)`: every service asks first."""
    if not can(user, action):
        raise Forbidden(refusals.get(action))
