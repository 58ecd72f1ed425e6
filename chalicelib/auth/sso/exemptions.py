"""Require Log In with Hub: who must use the hub, and who keeps the local login whatever the toggle.

A pure rule shared by every module. When a company requires the hub, a user must use it unless
their role is always exempt (the Partner Portal: Security Admin and Primary, so nobody can lock the
company out) or an administrator of that company added them to its User Exceptions. Turning the
toggle off lets everyone use either.

Only the company's own settings and the user's own role decide. Accounts elsewhere never do: an
email used in several companies used to be exempt, but another partner's administrator can create
an account with anyone's email (nothing proves who owns an address), so that rule let another
company switch the requirement off for this one's users. Someone who works for several partners
signs in with the hub in each (the tenant choice says which), or gets a User Exception here.

    reason = exemptions.exemption(policy, account_id=..., role=...)
    if exemptions.must_use_hub(policy, ...): refuse the local login with MUST_USE_HUB
"""

from __future__ import annotations

from dataclasses import dataclass, field

MUST_USE_HUB = ("Your company requires Log In with Hub for your account. "
                "Use the Log In with Hub button below.")
USER_EXCEPTION = "User exception"


@dataclass(frozen=True)
class RequirePolicy:
    """A tenant's Require Log In with Hub settings."""

    require_hub_login: bool
    exceptions: frozenset[str] = field(default_factory=frozenset)
    always_exempt_roles: frozenset[str] = field(default_factory=frozenset)


def always_exempt(policy: RequirePolicy, *, role: str) -> str | None:
    """Why this user keeps the local login whatever the settings say (None: no such reason)."""
    return role if role in policy.always_exempt_roles else None


def exemption(policy: RequirePolicy, *, account_id: str, role: str) -> str | None:
    """Why this user may log in locally while the hub is required (None: they must use it)."""
    reason = always_exempt(policy, role=role)
    if reason:
        return reason
    if account_id in policy.exceptions:
        return USER_EXCEPTION
    return None


def must_use_hub(policy: RequirePolicy, *, account_id: str, role: str) -> bool:
    """True when the local login must refuse this user."""
    if not policy.require_hub_login:
        return False
    return exemption(policy, account_id=account_id, role=role) is None
