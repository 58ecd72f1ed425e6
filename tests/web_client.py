"""A cookie-keeping, form-submitting wrapper around chalice.test.Client (a browser without JS)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode, urlsplit

from chalice.test import Client

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Reply:
    def __init__(self, raw: Any) -> None:
        self.status = raw.status_code
        self.headers = {k.lower(): v for k, v in raw.headers.items()}
        self.body = raw.body or b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        return str(self.headers.get("location", ""))

    @property
    def csrf(self) -> str:
        match = CSRF.search(self.text)
        assert match, "page has no CSRF token"
        return match.group(1)

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.location or self.text[:80]!r}>"


class WebClient:
    def __init__(self, app: Any) -> None:
        self._client = Client(app)
        self.cookies: dict[str, str] = {}
        self.last: Reply | None = None

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"user-agent": "linkhub-tests"}
        if self.cookies:
            headers["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def _remember(self, reply: Reply) -> Reply:
        raw = reply.headers.get("set-cookie")
        for line in [raw] if isinstance(raw, str) else raw or []:
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in line:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        self.last = reply
        return reply

    def get(self, path: str, headers: dict[str, str] | None = None, follow: bool = False) -> Reply:
        reply = self._remember(Reply(self._client.http.get(path, headers=self._headers(headers))))
        return self._follow(reply) if follow else reply

    def post(
        self,
        path: str,
        data: dict[str, Any] | None = None,
        *,
        csrf: str | None = "auto",
        headers: dict[str, str] | None = None,
        follow: bool = False,
    ) -> Reply:
        fields = dict(data or {})
        if csrf == "auto":
            assert self.last is not None, "load the form's page first"
            fields["csrf_token"] = self.last.csrf
        elif csrf is not None:
            fields["csrf_token"] = csrf
        all_headers = {"content-type": "application/x-www-form-urlencoded"}
        all_headers.update(headers or {})
        raw = self._client.http.post(
            path, headers=self._headers(all_headers), body=urlencode(fields, doseq=True)
        )
        reply = self._remember(Reply(raw))
        return self._follow(reply) if follow else reply

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        headers = self._headers(kwargs.pop("headers", None))
        raw = self._client.http.request(method, path, headers=headers, **kwargs)
        return self._remember(Reply(raw))

    def _follow(self, reply: Reply, limit: int = 10) -> Reply:
        while reply.status in (301, 302, 303, 307) and limit:
            target = urlsplit(reply.location)
            path = target.path + (f"?{target.query}" if target.query else "")
            reply = self.get(path)
            limit -= 1
        return reply
