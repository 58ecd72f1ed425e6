"""What every hub page shares: who is signed in, the banner, the flash sentences, JSON headers."""

from __future__ import annotations

from chalicelib.auth.hub import modules, sessions
from chalicelib.auth.hub.policy import can
from chalicelib.auth.hub.sessions import HubUser
from chalicelib.runtime import Runtime
from chalicelib.web.banner import Banner, LauncherLink, NavLink, visible_links
from chalicelib.web.signin import SignIn

NAV = (
    NavLink("My Modules", "/hub/"),
    NavLink("My account", "/hub/account"),
    NavLink("Users", "/hub/admin/users", "user.create"),
    NavLink("OIDC clients", "/hub/admin/clients", "user.create"),
)
USER_ACTIONS = ("deactivate", "reactivate", "delete", "reset_mfa", "grant", "revoke")
FLASHES = {
    "user_created": "Created the user {name}.",
    "device_removed": "Device removed",
    "password_changed": "Password changed. Your other sessions were ended.",
    # The Users page's actions on a user (USER_ACTIONS), told as sentences.
    "deactivate": "Deactivated {name}: their sessions were ended and they cannot sign in.",
    "reactivate": "Reactivated {name}: they can sign in again.",
    "delete": "Deleted {name}: their sessions were ended and the modules were told.",
    "reset_mfa": "Reset two-factor authentication for {name}: they set it up again at their "
                 "next sign-in.",
    "grant": "Granted {name} access to {module}.",
    "revoke": "Revoked {name}'s access to {module}.",
    # Invitations and email verification (auth/hub/invitations.py, email_verification.py).
    "user_invited": "Invited {name}: the invitation mail is on its way.",
    "resend_invitation": "Sent {name} a new invitation; the previous link no longer works.",
    "revoke_invitation": "Revoked {name}'s invitation: its link no longer works.",
    "change_email": "Mailed a verification link to {name}'s address; until it is used, their "
                    "verified address (if any) stays.",
    "email_kept": "{name} keeps their verified address; the change waiting for it was dropped.",
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
                  logout_path="/hub/logout",
                  app_launcher_source=lambda: _launcher(user))


def _launcher(user: HubUser) -> tuple[LauncherLink, ...]:
    """The hub's App Launcher: the user's linked modules, then the hub (this page) itself."""
    entries = [LauncherLink(m["key"], m["title"], m["url"]) for m in modules.launcher_modules(user)]
    return (*entries, LauncherLink("hub", "Hub", "/hub/", current=True))


HUB: SignIn[HubUser] = SignIn(cookie=sessions.COOKIE, resume=_user, banner=_banner)
