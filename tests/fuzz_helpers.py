"""Route-wide fuzzing: the route table, hostile inputs, a deterministic plan, and one invoker.

Requests are built as the Lambda events API Gateway would send (path parameters already decoded,
so a value may hold '/', '?' or control characters) and handed straight to the Chalice app.
Everything is chosen by `random.Random(seed)`: a failure in CI replays exactly.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from chalice import Chalice

from chalicelib.storage import tables

# -- the route table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str
    method: str
    params: tuple[str, ...]

    @property
    def takes_body(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    @property
    def product(self) -> str:
        """hub, portal, itdocs, api or web (the first path segment decides)."""
        first = self.path.strip("/").split("/", 1)[0]
        return first if first in ("hub", "portal", "itdocs", "api") else "web"

    def fill(self, values: dict[str, str]) -> str:
        path = self.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
        return path


DESTRUCTIVE = ("/delete", "/revoke", "/remove", "/unlink", "/require", "/auto-deactivate")


def routes_of(app: Chalice) -> list[Route]:
    """Every (path, method) the app answers, from its own route table (new routes join by
    themselves). Routes that delete or disable what others need run after them, log-outs last,
    so a signed-in pass keeps its data and sessions as long as possible."""
    found = [
        Route(path, method, tuple(entry.view_args))
        for path, methods in app.routes.items()
        for method, entry in methods.items()
    ]

    def order(route: Route) -> tuple[bool, bool, str, str]:
        destructive = route.method != "GET" and any(word in route.path for word in DESTRUCTIVE)
        return "logout" in route.path, destructive, route.path, route.method

    return sorted(found, key=order)


# -- hostile inputs -----------------------------------------------------------------------------

# (label, value): ids as a client could send them once API Gateway has decoded the path.
KEY_SIZE_VALUES = [
    ("1025 letters", "a" * 1025),
    ("1025 digits", "7" * 1025),
    ("2049 letters", "b" * 2049),
    ("39 digits", "9" * 39),
]
PATH_VALUES = [
    *KEY_SIZE_VALUES,
    ("superscript one", "\u00b9"),
    ("arabic-indic digits", "\u0661\u0660\u0660\u0660\u0660\u0661"),
    ("fullwidth digits", "\uff11\uff12\uff13"),
    ("5000 digits", "9" * 5000),
    ("NUL", "a\x00b"),
    ("control characters", "\x01\x1f\x7f\x85"),
    ("CRLF header injection", "a\r\nSet-Cookie: x=y"),
    ("dot dot", ".."),
    ("dot dot slash", "../../etc/passwd"),
    ("encoded dot dot slash", "..%2F..%2F"),
    ("query and fragment", "a?b=c#d"),
    ("negative", "-1"),
    ("zero", "0"),
    ("float", "1.5e3"),
    ("empty", ""),
    ("blank", "  "),
    ("emoji", "\U0001f600"),
    ("markup", "<script>alert(1)</script>"),
    ("quotes", "'\"`"),
    ("right-to-left override", "\u202e1"),
    ("nonsense id", "zz-not-an-id"),
]

QUERY_STRINGS = [
    ("unicode digits", "daysUntil=%C2%B2&_page=%D9%A1&_perPage=%EF%BC%91"),
    ("5000 digits", "daysUntil=" + "9" * 5000 + "&_page=" + "9" * 5000),
    ("negative and zero", "daysUntil=-1&_page=0&_perPage=-5&page=-1"),
    ("huge page size", "_perPage=99999999999&_page=1e309&limit=NaN"),
    ("bad percent", "q=%ff%fe%&tab=%zz&next=%00"),
    ("open redirect", "next=//evil.example/x&return_to=https://evil.example&redirect_uri=javascript:1"),
    ("repeated keys", "tab=a&tab=b&q=1&q=2&q=3"),
    ("empty names", "=&&=x&%20=1"),
    ("long value", "q=" + "x" * 9000),
    ("control characters", "q=%00%01%0d%0a&tab=%7f"),
    ("oauth junk", "response_type=code&client_id=%C2%B9&redirect_uri=x&state=" + "s" * 3000
     + "&code_challenge=%FF&nonce=%00&scope=openid%00"),
    ("sso junk", "code=x&state=%00&error=access_denied&error_description=%FF&iss=x"),
]

FORM = "application/x-www-form-urlencoded"
TEMPLATES = Path(__file__).resolve().parent.parent / "chalicelib"


def form_field_names() -> list[str]:
    """Every field name any template's form posts (a new form's fields join by themselves)."""
    names: set[str] = set()
    for page in TEMPLATES.rglob("*.html"):
        names.update(re.findall(r'name="([A-Za-z_][A-Za-z0-9_\-]*)"', page.read_text()))
    names.discard("viewport")
    names.discard("csrf_token")
    return sorted(names)


FORM_VALUES = [
    ("empty", ""),
    ("superscript one", "\u00b9"),
    ("1025 letters", "a" * 1025),
    ("2049 letters", "b" * 2049),
    ("39 digits", "9" * 39),
    ("control characters", "\x00\x01\r\n"),
    ("markup", "<script>alert(1)</script>"),
    ("emoji", "\U0001f600"),
]


def _form(fields: dict[str, Any]) -> bytes:
    return urlencode(fields, doseq=True).encode()


def bodies(fields: list[str], csrf: str) -> list[tuple[str, str, bytes]]:
    """(label, content type, body) for a route that takes a body."""
    found: list[tuple[str, str, bytes]] = []
    for label, value in FORM_VALUES:
        found.append((f"form, every field {label}", FORM,
                      _form({**{name: value for name in fields}, "csrf_token": csrf})))
    found += [
        ("form, only the CSRF token", FORM, _form({"csrf_token": csrf})),
        ("form, no CSRF token", FORM, _form({name: "1" for name in fields})),
        ("form, every field twice", FORM,
         _form({**{name: ["1", "\u00b2"] for name in fields}, "csrf_token": csrf})),
        ("form, non-UTF-8", FORM, b"csrf_token=" + csrf.encode() + b"&name=\xff\xfe\xc3\x28"),
        ("form, 1 MB", FORM, _form({"csrf_token": csrf, "name": "x" * 1_000_000})),
        ("JSON, 100000 [", "application/json", b"[" * 100_000),
        ("JSON, deep objects", "application/json", b'{"a":' * 20_000 + b"1" + b"}" * 20_000),
        ("JSON, not an object", "application/json", b'"text"'),
        ("JSON, NaN and huge numbers", "application/json",
         b'{"remoteIds": [NaN, 1e999999], "seatType": null, "actionType": ' + b"9" * 5000 + b"}"),
        ("JSON, wrong types", "application/json",
         json.dumps({"remoteIds": "x", "seat_type": ["\u00b9"], "action_type": {"a": 1},
                     "csrf_token": csrf, **{name: [1] for name in fields}}).encode()),
        ("JSON, non-UTF-8", "application/json", b'{"a": "\xff\xfe"}'),
        ("multipart, broken", "multipart/form-data; boundary=zz", b"--zz\r\nContent-Disp\x00"),
        ("text/xml", "text/xml", b"<?xml version='1.0'?><!DOCTYPE a [<!ENTITY b 'c'>]><a>&b;</a>"),
        ("no content type, binary", "", b"\x00\x01\x02\xff" * 64),
    ]
    return found


def cookie_variants(signed_in: dict[str, str]) -> list[tuple[str, dict[str, str] | str]]:
    """(label, cookies or a raw Cookie header)."""
    tampered = {name: value[:-2] + ("AA" if not value.endswith("AA") else "BB")
                for name, value in signed_in.items()}
    return [
        ("forged sessions", {f"lh_{p}_session": "forged" for p in ("hub", "portal", "itdocs")}),
        ("tampered cookies", tampered or {"lh_hub_session": "x"}),
        ("malformed header", '=;;=; a="unterminated; lh_hub_session; \\"; ;'),
        ("non-ASCII", "lh_portal_session=\u00e9\U0001f600; lh_itdocs_session=\u00b9"),
        ("huge", "lh_hub_session=" + "z" * 12_000),
        ("control characters", "lh_itdocs_session=a\x00b\x01; lh_hub_csrf=\x7f"),
    ]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH_HEADERS = [
    ("Basic, non-ASCII credentials", basic("\u00e9", "\u00fc")),
    ("Basic, raw non-ASCII", "Basic \u00e9\u00fc\u00b9"),
    ("Basic, not base64", "Basic %%%==="),
    ("Basic, no colon", "Basic " + base64.b64encode(b"nocolon").decode()),
    ("Basic, non-UTF-8", "Basic " + base64.b64encode(b"\xff\xfe:\xc3\x28").decode()),
    ("Basic, huge", basic("k" * 5000, "s" * 5000)),
    ("Bearer junk", "Bearer " + "j" * 3000),
    ("empty", ""),
]


# -- one request --------------------------------------------------------------------------------


@dataclass
class Case:
    route: Route
    label: str
    params: dict[str, str]
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    method: str | None = None  # another method than the route's (405)
    bad_path: bool = False  # a path parameter holds a malformed value

    def describe(self) -> str:
        params = {k: (v if len(v) <= 40 else f"{v[:12]!r}...({len(v)} chars)")
                  for k, v in self.params.items()}
        return f"{self.label}; params={params!r}; query={self.query[:60]!r}"


def event_for(app: Chalice, case: Case, cookie_header: str) -> dict[str, Any]:
    """The Lambda event API Gateway sends for this request."""
    headers = {"user-agent": "linkhub-fuzz", "host": "localhost"}
    if cookie_header:
        headers["cookie"] = cookie_header
    headers.update({k.lower(): v for k, v in case.headers.items()})
    event: dict[str, Any] = {
        "requestContext": {
            "httpMethod": case.method or case.route.method,
            "resourcePath": case.route.path,
            "identity": {"sourceIp": "127.0.0.1"},
            "path": case.route.fill(case.params),
            "requestId": str(uuid.uuid4()),
        },
        "headers": headers,
        "pathParameters": dict(case.params) or None,
        "multiValueQueryStringParameters": parse_qs(case.query, keep_blank_values=True) or None,
        "stageVariables": {},
        "body": case.body,
    }
    if case.body is not None and headers.get("content-type", "") in app.api.binary_types:
        event["body"] = base64.b64encode(case.body).decode("ascii")
        event["isBase64Encoded"] = True
    return event


class LambdaContext:
    function_name = "linkhub-fuzz"
    memory_limit_in_mb = 128
    aws_request_id = "fuzz"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def cookie_header(cookies: dict[str, str] | str) -> str:
    if isinstance(cookies, str):
        return cookies
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def invoke(app: Chalice, case: Case, cookies: dict[str, str] | str) -> int:
    """The status the app answers (an exception escaping the app counts as a 500)."""
    try:
        response = app(event_for(app, case, cookie_header(cookies)), LambdaContext())
    except Exception:  # noqa: BLE001 - API Gateway would answer 502; record it as a 500 finding
        logging.getLogger("linkhub").exception("escaped the app")
        return 500
    return int(response["statusCode"])


# -- what went wrong ----------------------------------------------------------------------------


class Traces(logging.Handler):
    """Keeps the last line of each trace the app logs (its error handlers and Chalice's own)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            self.last = f"{type(error).__name__}: {error}"[:300]

    def take(self) -> str:
        last, self.last = self.last, ""
        return last


class LoggedErrors(logging.Handler):
    """The `unhandled_error` lines (JSON, with a trace) the routing decorators write at INFO."""

    def __init__(self, traces: Traces) -> None:
        super().__init__(logging.INFO)
        self.traces = traces

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if '"unhandled_error"' in message:
            trace = str(json.loads(message).get("trace", "")).strip().splitlines()
            self.traces.last = (trace[-1] if trace else message)[:300]
        elif record.exc_info:
            self.traces.emit(record)


@contextmanager
def capturing_traces() -> Iterator[Traces]:
    logger = logging.getLogger("linkhub")
    traces = Traces()
    handler = LoggedErrors(traces)
    logger.addHandler(handler)
    try:
        yield traces
    finally:
        logger.removeHandler(handler)


@dataclass
class Finding:
    case: Case
    status: int
    trace: str

    def line(self, identity: str, backend: str) -> str:
        return (f"{self.status} {self.case.method or self.case.route.method} {self.case.route.path}"
                f" [{identity}, {backend}] {self.case.describe()} -> {self.trace or '(no trace)'}")


class ObservingTransport:
    """Passes the app's own outbound calls (the sync reading the REST API) on, keeping each 5xx."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.failures: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = self.inner.request(method, url, **kwargs)
        if response.status >= 500:
            self.failures.append(f"{response.status} {method} {url[:120]} (the sync's own call)")
        return response


# -- stored data --------------------------------------------------------------------------------


def snapshot() -> dict[str, list[str]]:
    """Every item of every table, as sorted JSON lines (a scan per table; tests hold little)."""
    found: dict[str, list[str]] = {}
    for model in tables.all_models():
        client = model._get_connection().connection.client
        name = model.Meta.table_name
        items: list[str] = []
        for page in client.get_paginator("scan").paginate(TableName=name):
            items += [json.dumps(item, sort_keys=True, default=str) for item in page["Items"]]
        found[name] = sorted(items)
    return found


def changes(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, str]:
    """table -> what changed, for tables whose items differ."""
    found = {}
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            found[name] = f"{len(old - new)} items changed or removed, {len(new - old)} new"
    return found


def rng_for(seed: str) -> random.Random:
    return random.Random(seed)
