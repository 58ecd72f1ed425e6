"""Require Log In with Hub: who must use the hub, and who keeps the local login whatever the toggle.

A pure rule shared by every module. When a company requires the hub, a user must use it unless:
their role is always exempt (the Partner Portal: Security Admin and Primary, so nobody can lock the
company out), their email is used in several tenants (the hub identity cannot say which one), or an
administrator added them to the User Exceptions. Turning the toggle off lets everyone use either.

    reason = exemptions.exemption(policy, account_id=..., role=..., email_in_several_tenants=...)
    if exemptions.must_use_hub(policy, ...): refuse the local login with MUST_USE_HUB
"""

from __future__ import annotations

from dataclasses import dataclass, field

MUST_USE_HUB = ("Your company requires Log In with Hub for your account. "
                "Use the Log In with Hub button below.")
SEVERAL_TENANTS = "Email used in several companies"
USER_EXCEPTION = "User exception"


@dataclass(frozen=True)
class RequirePolicy:
    """A tenant's Require Log In with Hub settings."""

    require_hub_login: bool
    exceptions: frozenset[str] = field(default_factory=frozenset)
    always_exempt_roles: frozenset[str] = field(default_factory=frozenset)


def always_exempt(policy: RequirePolicy, *, role: str,
                  email_in_several_tenants: bool) -> str | None:
    """Why this user keeps the local login whatever the settings say (None: no such reason)."""
    if role in policy.always_exempt_roles:
        return role
    if email_in_several_tenants:
        return SEVERAL_TENANTS
    return None


def exemption(policy: RequirePolicy, *, account_id: str, role: str,
              email_in_several_tenants: bool) -> str | None:
    """Why this user may log in locally while the hub is required (None: they must use it)."""
    reason = always_exempt(policy, role=role, email_in_several_tenants=email_in_several_tenants)
    if reason:
        return reason
    if account_id in policy.exceptions:
        return USER_EXCEPTION
    return None


def must_use_hub(policy: RequirePolicy, *, account_id: str, role: str,
                 email_in_several_tenants: bool) -> bool:
    """True when the local login must refuse this user."""
    if not policy.require_hub_login:
        return False
    return exemption(policy, account_id=account_id, role=role,
                     email_in_several_tenants=email_in_several_tenants) is None

