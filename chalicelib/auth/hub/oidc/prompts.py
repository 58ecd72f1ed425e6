"""Where the authorize endpoint sends a browser that must log in: none yet, or `prompt=login`.

`prompt=none` refuses with `login_required` instead; `prompt=login` shows the login page even to a
browser with a hub session (a module's "Sign in as a different hub user"), and the authorize
request resumed after that login no longer asks for it, so the new session answers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

from chalicelib.auth.hub.oidc.provider import (
    AUTHORIZE_PATH,
    AuthorizationRequest,
    RedirectedError,
    error_location,
)
from chalicelib.runtime import Runtime


def login_location(rt: Runtime, request: AuthorizationRequest,
                   params: Mapping[str, Sequence[str]]) -> str:
    """Where to send a browser with no hub session: the login page, back here afterwards."""
    if "none" in request.prompt.split():
        raise RedirectedError(
            error_location(rt.settings, request.redirect_uri, "login_required",
                           "The user is not signed in to the hub.", request.state),
            "login_required", "The user is not signed in to the hub.")
    return "/hub/login?next=" + quote(f"{AUTHORIZE_PATH}?{urlencode(_after_login(params))}",
                                      safe="")


def wants_fresh_login(request: AuthorizationRequest) -> bool:
    """`prompt=login`: the client asks for the login page even when the browser has a session."""
    return "login" in request.prompt.split()


def _after_login(params: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """The authorize request to resume after the login, its `prompt=login` answered by it."""
    pairs = []
    for name, values in params.items():
        for value in values:
            if name == "prompt":
                value = " ".join(p for p in value.split() if p != "login")
            if value or name != "prompt":
                pairs.append((name, value))
    return pairs
