"""Enable Login with Hub, confirmed: whom the hub session belongs to is shown before any link.

The hub answers "Enable Login with Hub" with whoever is signed in to it in this browser, which may
not be the hub Master the Security Admin meant. So the callback only seals what the hub said
(who, which hub company, their access token encrypted) in a short-lived signed cookie bound to the
Security Admin who started it, and the Security Settings page asks "You are signed in to the hub
as ... Link?". Continue links; "Sign in as a different hub user" starts again with the hub's login
(`prompt=login`), so a wrong hub session is never a dead end. Every enabling, including one after
a disable, goes through this step.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict, dataclass

from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import Forbidden, InvalidInput, NotAuthenticated
from chalicelib.portal import security_settings
from chalicelib.portal.policy import can
from chalicelib.runtime import Runtime
from chalicelib.secretbox import SecretUnreadable
from chalicelib.signing import BadSignature
from chalicelib.storage.portal.users import PortalUser

COOKIE = "sso_enable"
MAX_AGE = 10 * 60
EXPIRED = "Your sign-in with the hub expired. Click Enable Login with Hub again."
_SHOWN = ("issuer", "subject", "email", "email_verified", "username", "name", "hub_company_id",
          "hub_company_name", "hub_role", "sid", "modules", "purpose", "return_to")


@dataclass(frozen=True)
class PendingLink:
    """Who the hub says is signed in, waiting for the Security Admin's Continue."""

    identity: HubIdentity

    @property
    def may_link(self) -> bool:
        """Only a hub Master can finish enabling (the hub refuses anyone else too)."""
        return self.identity.is_master


def _purpose(actor: PortalUser) -> str:
    return f"sso-enable:portal:{actor.user_id}"


def seal(rt: Runtime, actor: PortalUser, identity: HubIdentity) -> str:
    """The cookie the confirmation step reads: the identity, its access token encrypted."""
    if not can(actor, "security.manage"):
        raise Forbidden(security_settings.ONLY_SECURITY_ADMINS)
    if identity.purpose != "link":
        raise InvalidInput("This sign-in was not started to enable Login with Hub.")
    fields = asdict(identity)
    token = rt.box.encrypt(identity.access_token.encode(), _purpose(actor))
    payload = {"i": {name: fields[name] for name in _SHOWN}, "t": token}
    return rt.signer.sign(_purpose(actor), payload, MAX_AGE)


def pending(rt: Runtime, actor: PortalUser, cookie: str | None) -> PendingLink:
    """The sealed identity for this Security Admin; NotAuthenticated when expired or not theirs."""
    try:
        data = rt.signer.unsign(_purpose(actor), cookie)
        token = rt.box.decrypt(str(data["t"]), _purpose(actor)).decode()
    except (BadSignature, SecretUnreadable, KeyError) as exc:
        raise NotAuthenticated(EXPIRED) from exc
    shown = {name: data["i"][name] for name in _SHOWN}
    return PendingLink(HubIdentity(**shown, access_token=token))


def confirm(rt: Runtime, actor: PortalUser, cookie: str | None,
            subject: str) -> security_settings.SecuritySettings:
    """Link to the hub company of the identity the Security Admin saw and confirmed."""
    identity = pending(rt, actor, cookie).identity
    if not hmac.compare_digest(subject.encode(), identity.subject.encode()):
        raise InvalidInput("The hub sign-in changed: check who is linking and try again.")
    return security_settings.complete_link(rt, actor, identity)
