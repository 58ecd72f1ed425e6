"""Finding the module accounts a hub identity opens, linking them, and just-in-time creation.

The rule every module follows after `relying_party.finish`:

1. Accounts already linked to the hub identity (issuer + subject) open directly.
2. Otherwise, the first time: accounts with the same email (only when the hub says
   `email_verified`) or the same username, within the tenants linked to the identity's hub company,
   are linked to it with a conditional write; a lost race means another request linked it first,
   and the directory reads the winner.
3. Otherwise, when a linked tenant has automatic user creation on, one account is created with the
   tenant's default role. Exactly one, even when two first logins race: the create is conditional on
   the identity's marker (the module's storage writes marker and account in one transaction).
4. Otherwise NoAccount: the module shows its "ask your administrator" page and creates nothing.

A module implements `AccountDirectory` over its own storage; `resolve` applies the rule.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LinkhubError

A = TypeVar("A")


class NoAccount(LinkhubError):
    """The hub identity opens no account here and automatic creation is off."""

    public_message = ("You do not have an account here yet. Ask your administrator to create "
                      "one, or to turn on automatic user creation.")


class NotLinked(LinkhubError):
    """No tenant here is linked to the identity's hub company."""

    public_message = ("Log In with Hub is not enabled for your company here. "
                      "Log in with your password, or ask your administrator to enable it.")


class AccountDirectory(Protocol[A]):
    """A module's accounts as seen by Log In with Hub."""

    def linked_tenants(self, identity: HubIdentity) -> list[str]:
        """Tenant ids linked to the identity's hub company."""

    def linked_accounts(self, identity: HubIdentity, tenants: list[str]) -> list[A]:
        """Accounts already linked to the identity (issuer + subject), in those tenants."""

    def first_time_matches(self, identity: HubIdentity, tenants: list[str],
                           by_email: bool) -> list[A]:
        """Unlinked accounts in those tenants with its email (when allowed) or username."""

    def link(self, identity: HubIdentity, account: A) -> A | None:
        """Link one account to the identity (conditional); the winner's account, None if taken."""

    def provision(self, identity: HubIdentity, tenants: list[str]) -> A | None:
        """Create one account just in time where a tenant allows it; None when none does."""


def resolve(directory: AccountDirectory[A], identity: HubIdentity) -> list[A]:
    """The accounts this identity opens (at least one), linking or creating as the rule says."""
    tenants = directory.linked_tenants(identity)
    if not tenants:
        raise NotLinked()
    found = directory.linked_accounts(identity, tenants)
    if found:
        return found
    for account in directory.first_time_matches(identity, tenants,
                                                by_email=identity.email_verified):
        linked = directory.link(identity, account)
        if linked is not None:
            found.append(linked)
    if found:
        return found
    created = directory.provision(identity, tenants)
    if created is None:
        raise NoAccount()
    return [created]
