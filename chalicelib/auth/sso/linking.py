"""The "Link your accounts" step: a hub identity waiting for its owner's proof, sealed and signed.

When `accounts.resolve` raises LinkRequired, the module seals the identity the hub vouched for and
the account ids it matched into a short-lived signed cookie, and shows its "Link your accounts"
page. The owner picks one of the sealed accounts and proves it is theirs (the module's own
password, entered once; the pattern Keycloak calls re-authentication on first broker login);
the module then links (issuer, subject) to it and signs in. An id that was not sealed, a cookie
of another module, a forged or expired one is refused.

    cookie = linking.seal(rt, "portal", identity, error.account_ids)
    pending = linking.pending(rt, "portal", cookie)       # what the page lists
    identity, account_id = linking.pick(rt, "portal", cookie, form["account_id"])
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass

from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LoginFailed, NotAuthenticated
from chalicelib.runtime import Runtime
from chalicelib.signing import BadSignature

COOKIE = "sso_link"
MAX_AGE = 10 * 60
MAX_ACCOUNTS = 20
# The access token is not sealed: linking needs only who signed in, not a call to the hub.
_SEALED = ("issuer", "subject", "email", "email_verified", "username", "name", "hub_company_id",
           "hub_company_name", "hub_role", "sid", "modules", "purpose", "return_to")


@dataclass(frozen=True)
class PendingLink:
    """A hub identity and the unlinked accounts it may prove are its own."""

    identity: HubIdentity
    account_ids: list[str]


def _purpose(module: str) -> str:
    return f"sso-link:{module}"


def seal(rt: Runtime, module: str, identity: HubIdentity, account_ids: list[str]) -> str:
    """A signed cookie value holding the identity and the accounts computed on the server."""
    fields = asdict(identity)
    payload = {"i": {name: fields[name] for name in _SEALED},
               "a": list(account_ids)[:MAX_ACCOUNTS]}
    return rt.signer.sign(_purpose(module), payload, MAX_AGE)


def pending(rt: Runtime, module: str, cookie: str | None) -> PendingLink:
    """The sealed link; NotAuthenticated when expired, forged or sealed for another module."""
    try:
        data = rt.signer.unsign(_purpose(module), cookie)
    except BadSignature as exc:
        raise NotAuthenticated("Your sign-in with the hub expired. Please log in again.") from exc
    identity = HubIdentity(**{name: data["i"][name] for name in _SEALED})
    return PendingLink(identity, [str(a) for a in data.get("a", [])])


def pick(rt: Runtime, module: str, cookie: str | None, chosen: str) -> tuple[HubIdentity, str]:
    """(the identity, the chosen account id) when that id was sealed; else LoginFailed."""
    link = pending(rt, module, cookie)
    if not any(hmac.compare_digest(chosen.encode(), a.encode()) for a in link.account_ids):
        raise LoginFailed("Choose one of the listed accounts.")
    return link.identity, chosen
