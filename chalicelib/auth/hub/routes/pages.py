"""What every hub page shares: who is signed in, the banner, the flash sentences, JSON headers."""

from __future__ import annotations

from chalicelib.auth.hub import sessions
from chalicelib.auth.hub.policy import can
from chalicelib.auth.hub.sessions import HubUser
from chalicelib.runtime import Runtime
from chalicelib.web.banner import Banner, NavLink, visible_links
from chalicelib.web.signin import SignIn

NAV = (
    NavLink("My Modules", "/hub/"),
    NavLink("My account", "/hub/account"),
    NavLink("Users", "/hub/admin/users", "user.create"),
    NavLink("OIDC clients", "/hub/admin/clients", "user.create"),
)
USER_ACTIONS = ("deactivate", "reactivate", "delete", "reset_mfa", "grant", "revoke")
FLASHES = {
    "user_created": "Created {name}",
    "device_removed": "Device removed",
    # "deactivate alice", "reset mfa alice": the action as the users page words it
    **{action: f"{action.replace('_', ' ')} {{name}}" for action in USER_ACTIONS},
}
# Discovery and JWKS may be cached by anyone for a minute; token-bearing answers never.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _user(rt: Runtime, token: str | None) -> HubUser:
    _, user = sessions.resume(rt, token)
    return user


def _banner(rt: Runtime, user: HubUser) -> Banner:
    return Banner(user_name=user.name, tenant_name=user.company_name,
                  nav=visible_links(NAV, lambda action: can(user, action)),
                  logout_path="/hub/logout")


HUB: SignIn[HubUser] = SignIn(cookie=sessions.COOKIE, resume=_user, banner=_banner)
