"""One request's page state: cookies to set, the CSRF token, rendering and redirects.

Redirect after a refused POST (or a failed callback) instead of answering it with an error page,
so a refresh resubmits nothing: `page.redirect_with_problem(path, message, **values)` leaves the
message (and the form's values to show again) in a short-lived signed cookie, and the next page
rendered in the scope shows it once (`page.problem`, templates/layout.html).
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Request, Response

from chalicelib import runtime
from chalicelib.errors import CsrfRejected
from chalicelib.signing import BadSignature
from chalicelib.web import http
from chalicelib.web.banner import Banner
from chalicelib.web.templates import render_template


@dataclass(frozen=True)
class Scope:
    """Where a context's pages live: cookie path, the title its banner shows, its login page."""

    path: str
    title: str
    login: str


SCOPES = {
    "hub": Scope("/hub", "Hub", "/hub/login"),
    "portal": Scope("/portal", "Partner Portal", "/portal/login"),
    "itdocs": Scope("/itdocs", "IT Docs", "/itdocs/login"),
    "api": Scope("/api", "SaaS Protection API", "/"),
}
CSRF_MAX_AGE = 12 * 3600
PROBLEM_MAX_AGE = 120  # seconds between the refused action and the page that tells of it
PROBLEM_MAX_TEXT = 500


@dataclass(frozen=True)
class Problem:
    """A refused action's message, and the form values the page it led back to shows again."""

    message: str
    values: dict[str, str] = field(default_factory=dict)


class Page:
    """Built per request by the routing decorator; handed to every page view."""

    def __init__(self, request: Request, scope: str) -> None:
        self.request = request
        self.scope = scope
        self.runtime = runtime.current()
        self.cookies = http.cookies(request)
        self.set_cookies: list[str] = []
        self.banner: Banner | None = None  # set by web.signin.signed_in
        self.login_url = SCOPES[scope].login
        self._csrf_seed: str | None = None
        self.form_targets: list[str] = []  # other places this page's forms may end up

    # -- cookies -------------------------------------------------------------------------------
    @property
    def cookie_path(self) -> str:
        return SCOPES[self.scope].path

    def cookie_name(self, name: str) -> str:
        return f"lh_{self.scope}_{name}"

    def read_cookie(self, name: str) -> str | None:
        return self.cookies.get(self.cookie_name(name))

    def set_cookie(self, name: str, value: str, max_age: int | None = None) -> None:
        self.set_cookies.append(
            http.cookie(
                self.cookie_name(name),
                value,
                path=self.cookie_path,
                secure=self.runtime.settings.cookie_secure,
                max_age=max_age,
            )
        )

    def clear_cookie(self, name: str) -> None:
        self.set_cookies.append(
            http.expired_cookie(
                self.cookie_name(name),
                path=self.cookie_path,
                secure=self.runtime.settings.cookie_secure,
            )
        )

    # -- CSRF (signed double submit: the form token names the cookie's random value) -----------
    @property
    def csrf_token(self) -> str:
        if self._csrf_seed is None:
            seed = self.read_cookie("csrf")
            if not seed or len(seed) < 20:
                seed = self.runtime.random.token(24)
                self.set_cookie("csrf", seed)
            self._csrf_seed = seed
        return self.runtime.signer.sign(
            f"csrf:{self.scope}", {"r": self._csrf_seed}, CSRF_MAX_AGE
        )

    def verify_csrf(self, form: dict[str, str]) -> None:
        seed = self.read_cookie("csrf") or ""
        try:
            data = self.runtime.signer.unsign(
                f"csrf:{self.scope}", form.get("csrf_token")
            )
        except BadSignature as exc:
            raise CsrfRejected() from exc
        if not seed or not hmac.compare_digest(str(data.get("r", "")), seed):
            raise CsrfRejected()

    def form(self) -> dict[str, str]:
        """The posted form, after its CSRF token has been checked."""
        data = http.form(self.request)
        self.verify_csrf(data)
        return data

    def query(self) -> dict[str, str]:
        return http.query(self.request)

    # -- responses -----------------------------------------------------------------------------
    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        body = render_template(
            template,
            page=self,
            scope=SCOPES[self.scope],
            csrf_token=self.csrf_token,
            **context,
        )
        return http.response(body, status=status, set_cookies=self.set_cookies,
                             form_targets=self.form_targets)

    def allow_form_target(self, url: str) -> None:
        """Let this page's forms end at `url`'s origin (CSP form-action also governs redirects)."""
        self.form_targets.append(url)

    def redirect(self, location: str) -> Response:
        return http.redirect(location, set_cookies=self.set_cookies)

    # -- redirect after a refused action (the message travels signed, never in the URL) --------
    def redirect_with_problem(self, location: str, message: str, **values: str) -> Response:
        """See other: `location` shows `message` once, with `values` refilling its form."""
        payload = {"m": message[:PROBLEM_MAX_TEXT],
                   "v": {name: value[:PROBLEM_MAX_TEXT] for name, value in values.items()}}
        token = self.runtime.signer.sign(self._problem_purpose, payload, PROBLEM_MAX_AGE)
        self.set_cookie("problem", token, max_age=PROBLEM_MAX_AGE)
        return self.redirect(location)

    @functools.cached_property
    def problem(self) -> Problem | None:
        """The message a redirect left for this page; read once, then the cookie is cleared."""
        token = self.read_cookie("problem")
        if not token:
            return None
        self.clear_cookie("problem")
        try:
            data = self.runtime.signer.unsign(self._problem_purpose, token)
        except BadSignature:
            return None
        values = data.get("v")
        kept = {str(k): str(v) for k, v in values.items()} if isinstance(values, dict) else {}
        return Problem(str(data.get("m", "")), kept)

    @property
    def _problem_purpose(self) -> str:
        return f"problem:{self.scope}"
