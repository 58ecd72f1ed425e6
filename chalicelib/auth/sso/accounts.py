"""Finding the module accounts a hub identity opens, linking them, and just-in-time creation.

The rule every module follows after `relying_party.finish`:

1. Accounts already linked to the hub identity (issuer + subject) open directly; after the first
   link nothing else is looked at.
2. Otherwise, the first time: unlinked accounts within the tenants linked to the identity's hub
   company that share its email or its username are *matches*. A match is linked (with a
   conditional write; a lost race means another request linked it first, and the directory reads
   the winner) only on its owner's proof:
   - the hub says the email is verified, the account has that email, and the account is not
     privileged (Security Admin, Primary, IT Docs Administrator), or
   - the account's own password, entered once on the module's "Link your accounts" page
     (`LinkRequired` sends the browser there; see `chalicelib.auth.sso.linking`).
   A username match alone never links, and a hub Master can set any email on a hub user, so an
   unverified email never links either.
3. Otherwise, with no match at all, when a linked tenant has automatic user creation on, one
   account is created with the tenant's default role. Exactly one, even when two first logins
   race: the create is conditional on the identity's marker (the module's storage writes marker
   and account in one transaction).
4. Otherwise NoAccount: the module shows its "ask your administrator" page and creates nothing.

A module implements `AccountDirectory` over its own storage; `resolve` applies the rule. The
linked accounts are asked for first, so a linked user's steady-state sign-in reads only them
(each module checks their tenant is still linked to the identity's hub company).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

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


class LinkRequired(LinkhubError):
    """Existing accounts may be this identity's; only their owner's proof links them."""

    public_message = ("An account here has your email or username but is not linked to your "
                      "hub account yet. Prove it is yours to link it.")

    def __init__(self, account_ids: list[str]) -> None:
        super().__init__()
        self.account_ids = account_ids


@dataclass(frozen=True)
class Match(Generic[A]):
    """An unlinked account that shares the identity's email or username, as the module sees it."""

    account: A
    account_id: str
    same_email: bool  # the account's email is the identity's email (any username)
    privileged: bool  # Security Admin, Primary, IT Docs Administrator: only a password links it


class AccountDirectory(Protocol[A]):
    """A module's accounts as seen by Log In with Hub."""

    def linked_tenants(self, identity: HubIdentity) -> list[str]:
        """Tenant ids linked to the identity's hub company."""

    def linked_accounts(self, identity: HubIdentity) -> list[A]:
        """Accounts already linked to the identity (issuer + subject), in tenants linked to its
        hub company (asked first: a linked user's sign-in needs nothing else)."""

    def first_time_matches(self, identity: HubIdentity, tenants: list[str]) -> list[Match[A]]:
        """Unlinked accounts in those tenants with its email or its username."""

    def link(self, identity: HubIdentity, account: A) -> A | None:
        """Link one account to the identity (conditional); the winner's account, None if taken."""

    def provision(self, identity: HubIdentity, tenants: list[str]) -> A | None:
        """Create one account just in time where a tenant allows it; None when none does."""


def links_by_email(identity: HubIdentity, match: Match[A]) -> bool:
    """A verified email is proof enough for an ordinary account, never for a privileged one."""
    return identity.email_verified and match.same_email and not match.privileged


def resolve(directory: AccountDirectory[A], identity: HubIdentity) -> list[A]:
    """The accounts this identity opens (at least one), linking or creating as the rule says."""
    found = directory.linked_accounts(identity)
    if found:
        return found
    tenants = directory.linked_tenants(identity)
    if not tenants:
        raise NotLinked()
    matches = directory.first_time_matches(identity, tenants)
    for match in matches:
        if links_by_email(identity, match):
            linked = directory.link(identity, match.account)
            if linked is not None:
                found.append(linked)
    if found:
        return found
    if matches:
        raise LinkRequired([match.account_id for match in matches])
    created = directory.provision(identity, tenants)
    if created is None:
        raise NoAccount()
    return [created]
