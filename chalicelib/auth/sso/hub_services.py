"""A module's calls to the hub's module services: link, unlink, publish insights.

Each call goes over HTTP through chalicelib.outbound to {issuer}/modules/{module}/..., authenticated
with the module's built-in OIDC client credentials (client_secret_basic), exactly as a module in
another deployment would. Linking also carries the access token a hub Master obtained by signing in
to the module with purpose "link"; the hub refuses anyone else with Forbidden.

    identity = relying_party.finish(rt, "portal", ...)           # purpose "link"
    hub_services.link_module(rt, "portal", access_token=identity.access_token,
                             launch_url=f"{base}/portal/sso/launch")
    hub_services.publish_insights(rt, "portal", hub_company_id=..., insights=[Insight(...)])

`app_launcher` builds the App Launcher of a module's banner (templates/app_launcher.html): the
hub's My Modules, then each module the user may use, opened through the hub's /hub/launch/{module}
(which signs them in to it); a module puts them in its banner when its tenant is linked.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from chalicelib import logs
from chalicelib.auth.modules import MODULES, builtin_client
from chalicelib.errors import Forbidden, InvalidInput, LoginFailed, NotFound, UpstreamError
from chalicelib.outbound import HttpResponse
from chalicelib.runtime import Runtime

SEVERITIES = ("info", "warning")
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Insight:
    """One finding about a module tenant's security posture, shown on the hub dashboard."""

    kind: str
    title: str
    detail: str
    severity: str  # "info" | "warning"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}")


def _url(rt: Runtime, module: str, action: str) -> str:
    return f"{rt.settings.hub_issuer}/modules/{module}/{action}"


def _headers(rt: Runtime, module: str, content_type: str) -> dict[str, str]:
    client_id, secret, _ = builtin_client(rt.settings, module)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"authorization": f"Basic {basic}", "content-type": content_type,
            "accept": "application/json"}


def _answer(module: str, action: str, reply: HttpResponse) -> dict[str, Any]:
    """The hub's JSON answer, or the domain error its status means."""
    try:
        data = reply.json() if reply.body else {}
    except ValueError:
        data = {}
    data = data if isinstance(data, dict) else {}
    message = str(data.get("message") or data.get("error_description") or "")[:300] or None
    if reply.status == 200:
        return data
    logs.event("hub_service_refused", module=module, action=action, status=reply.status,
               code=str(data.get("code") or data.get("error") or ""))
    if reply.status == 401 and (data.get("code") or data.get("error")) == "invalid_token":
        raise LoginFailed("Your sign-in with the hub expired. Please try again.")
    if reply.status == 403:
        raise Forbidden(message)
    if reply.status == 404:
        raise NotFound(message)
    if reply.status == 400:
        raise InvalidInput(message)
    raise UpstreamError(f"The hub answered {reply.status} to {action}.")


def _post_form(rt: Runtime, module: str, action: str, fields: dict[str, str]) -> dict[str, Any]:
    reply = rt.transport.request(
        "POST", _url(rt, module, action), body=urlencode(fields).encode(),
        headers=_headers(rt, module, "application/x-www-form-urlencoded"),
        timeout=TIMEOUT_SECONDS,
    )
    return _answer(module, action, reply)


def link_module(rt: Runtime, module: str, *, access_token: str, launch_url: str) -> None:
    """The hub records the module as linked to the token's hub company (hub Masters only)."""
    _post_form(rt, module, "link", {"access_token": access_token, "launch_url": launch_url})


def unlink_module(rt: Runtime, module: str, *, hub_company_id: str) -> None:
    """The hub forgets the module's link to that hub company (and its insights)."""
    _post_form(rt, module, "unlink", {"hub_company_id": hub_company_id})


def publish_insights(rt: Runtime, module: str, *, hub_company_id: str,
                     insights: list[Insight]) -> None:
    """Replace what the hub dashboard shows from this module for that hub company."""
    body = json.dumps({"hub_company_id": hub_company_id,
                       "insights": [asdict(i) for i in insights]}).encode()
    reply = rt.transport.request(
        "PUT", _url(rt, module, "insights"), body=body,
        headers=_headers(rt, module, "application/json"), timeout=TIMEOUT_SECONDS,
    )
    _answer(module, "insights", reply)


@dataclass(frozen=True)
class LauncherEntry:
    """One link of the App Launcher."""

    key: str
    title: str
    url: str
    current: bool = False


def app_launcher(rt: Runtime, current_module: str,
                 modules: list[str] | None = None) -> list[LauncherEntry]:
    """My Modules on the hub, then the user's modules (every module when they are not known)."""
    issuer = rt.settings.hub_issuer
    allowed = MODULES if modules is None else [m for m in modules if m in MODULES]
    return [LauncherEntry("hub", "Hub: My Modules", f"{issuer}/")] + [
        LauncherEntry(key, title, f"{issuer}/launch/{key}", key == current_module)
        for key, title in MODULES.items() if key in allowed
    ]
