"""Choosing one of several accounts after Log In with Hub: the list is the server's, signed.

When one hub identity opens accounts in several tenants (partner companies, IT Docs accounts), the
module seals the account ids it computed into a short-lived signed cookie and shows them; the
choice is accepted only when it is one of the sealed ids, so a tampered form is refused.

    cookie = tenant_choice.seal(rt, "portal", [u.user_id for u in accounts], return_to)
    account_id, return_to = tenant_choice.pick(rt, "portal", cookie, form["account_id"])
"""

from __future__ import annotations

import hmac

from chalicelib.errors import LoginFailed, NotAuthenticated
from chalicelib.runtime import Runtime
from chalicelib.signing import BadSignature

COOKIE = "sso_choice"
MAX_AGE = 5 * 60
MAX_ACCOUNTS = 20


def _purpose(module: str) -> str:
    return f"sso-choice:{module}"


def seal(rt: Runtime, module: str, account_ids: list[str], return_to: str,
         hub_sid: str = "") -> str:
    """A signed list of the accounts the user may open (computed on the server)."""
    payload = {"a": list(account_ids)[:MAX_ACCOUNTS], "r": return_to, "s": hub_sid}
    return rt.signer.sign(_purpose(module), payload, MAX_AGE)


def offered(rt: Runtime, module: str, cookie: str | None) -> tuple[list[str], str]:
    """(the sealed account ids, where to go afterwards); NotAuthenticated when expired/forged."""
    try:
        data = rt.signer.unsign(_purpose(module), cookie)
    except BadSignature as exc:
        raise NotAuthenticated("Your sign-in expired. Please log in again.") from exc
    return [str(a) for a in data.get("a", [])], str(data.get("r", f"/{module}/"))


def hub_session(rt: Runtime, module: str, cookie: str | None) -> str:
    """The hub session id the choice came from (the module's session is tied to it)."""
    try:
        data = rt.signer.unsign(_purpose(module), cookie)
    except BadSignature as exc:
        raise NotAuthenticated("Your sign-in expired. Please log in again.") from exc
    return str(data.get("s", ""))


def pick(rt: Runtime, module: str, cookie: str | None, chosen: str) -> tuple[str, str]:
    """The chosen account id when it is one of those offered; LoginFailed otherwise."""
    account_ids, return_to = offered(rt, module, cookie)
    if not any(hmac.compare_digest(chosen.encode(), a.encode()) for a in account_ids):
        raise LoginFailed("Choose one of the listed accounts.")
    return chosen, return_to
