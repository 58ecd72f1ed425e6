"""DynamoDB's JSON protocol spoken directly, for the few hot calls where botocore's own request
pipeline costs more client CPU than the call (the hub login: `low_level`, `hub/sign_in.py`).

A call is one POST of a JSON body naming the operation in `X-Amz-Target`, signed with Signature
Version 4 (the derived signing key kept per day, region and secret), sent on a kept-alive
connection (`dynamodb_http`) and answered in JSON. What botocore's standard retry mode retries is
retried here the same way (throttling, 5xx, a lost connection, a damaged answer: as many attempts
as the botocore client has, with the same jittered exponential waits); what is left is raised as
`Refused` (DynamoDB's error code and answer) or `Unreachable`.
Credentials are read from the botocore session each call, so refreshed role credentials are used;
no header or credential is ever logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import random
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from chalicelib.storage.dynamodb_http import Connections

TARGET = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"
SERVICE = "dynamodb"
# Error codes botocore's standard mode retries (throttling and transient errors).
RETRIED_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException"})
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
MAX_WAIT = 20.0  # seconds: botocore's cap on one retry's wait

# Called with the operation's name once per call (not per attempt), as botocore's before-call
# hook is: the call counters of tests and benchmarks (`tables.counting_calls`).
observers: list[Callable[[str], None]] = []


class Refused(Exception):
    """DynamoDB answered with an error (after the retries its kind deserves)."""

    def __init__(self, code: str, message: str, status: int, answer: dict[str, Any]) -> None:
        super().__init__(f"{code} ({status}): {message}")
        self.code, self.message, self.status, self.answer = code, message, status, answer


class Unreachable(Exception):
    """No usable answer after every attempt (connection refused or dropped, timeout, damage)."""


class Credentials(Protocol):
    """What a botocore credential object offers: a frozen copy, refreshed when due."""

    def get_frozen_credentials(self) -> Any: ...


@dataclass(frozen=True)
class Keys:
    """One frozen set of credentials."""

    access_key: str
    secret_key: str
    token: str | None = None


# -- Signature Version 4 ---------------------------------------------------------------------------
def canonical_host(endpoint: str) -> str:
    """The Host header as signed: the endpoint's host, its port unless the scheme's default."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


class Signer:
    """Signs DynamoDB requests for one host and region; the signing key is derived once a day."""

    def __init__(self, host: str, region: str) -> None:
        self.host, self.region = host, region
        self._derived: tuple[str, str, bytes] = ("", "", b"")

    def signing_key(self, secret_key: str, day: str) -> bytes:
        """HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")."""
        if self._derived[:2] != (secret_key, day):
            key = _hmac(("AWS4" + secret_key).encode(), day)
            for part in (self.region, SERVICE, "aws4_request"):
                key = _hmac(key, part)
            self._derived = (secret_key, day, key)
        return self._derived[2]

    def headers(self, target: str, body: bytes, keys: Keys, when: dt.datetime) -> dict[str, str]:
        """Every header of the request, Authorization included."""
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        headers = {"Content-Type": CONTENT_TYPE, "Host": self.host, "X-Amz-Date": stamp,
                   "X-Amz-Target": target}
        if keys.token:
            headers["X-Amz-Security-Token"] = keys.token
        signed = sorted((name.lower(), value.strip()) for name, value in headers.items())
        names = ";".join(name for name, _ in signed)
        canonical = "\n".join(["POST", "/", "", *(f"{n}:{v}" for n, v in signed), "", names,
                               _sha256(body)])
        scope = f"{stamp[:8]}/{self.region}/{SERVICE}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{_sha256(canonical.encode())}"
        signature = hmac.new(self.signing_key(keys.secret_key, stamp[:8]), to_sign.encode(),
                             hashlib.sha256).hexdigest()
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={keys.access_key}/{scope}, "
                                    f"SignedHeaders={names}, Signature={signature}")
        return headers


# -- answers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body, and the CRC32 DynamoDB sent for the body (if any)."""

    status: int
    body: bytes
    crc32: str | None = None

    def damaged(self) -> bool:
        """The body does not match the CRC32 DynamoDB computed for it (botocore retries this)."""
        return self.crc32 is not None and str(zlib.crc32(self.body)) != self.crc32


def error_of(answer: Answer) -> Refused:
    """The error code and message of a refusal; a body that is not DynamoDB's JSON keeps its
    HTTP status as the code."""
    try:
        parsed = json.loads(answer.body) if answer.body else {}
    except ValueError:
        parsed = {}
    if not isinstance(parsed, dict):
        parsed = {}
    code = str(parsed.get("__type", "")).rpartition("#")[2] or str(answer.status)
    message = str(parsed.get("message", parsed.get("Message", "")))
    # A refused signature's message quotes the canonical request, session token included.
    message = message.split("The Canonical String")[0].rstrip()
    parsed.pop("message", None)
    parsed.pop("Message", None)
    return Refused(code, message, answer.status, parsed)


def retried(refusal: Refused) -> bool:
    """Whether botocore's standard retry mode would try this refusal again."""
    return refusal.status in RETRIED_STATUSES or refusal.code in RETRIED_CODES


# -- the transport ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Timeouts (seconds), attempts in all (the first included) and pool size, as the botocore
    client of the same connection has them."""

    connect_timeout: float = 15.0
    read_timeout: float = 30.0
    attempts: int = 4
    pool_size: int = 10


class Wire:
    """DynamoDB calls as signed JSON POSTs on kept-alive connections to the endpoint."""

    def __init__(self, endpoint: str, region: str, credentials: Credentials,
                 limits: Limits = Limits(), ca_certs: str | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint, self.limits, self.sleep = endpoint, limits, sleep
        self.credentials = credentials
        self.signer = Signer(canonical_host(endpoint), region)
        self.connections = Connections(endpoint, limits.connect_timeout, limits.read_timeout,
                                       ca_certs, keep=limits.pool_size)

    def post(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """DynamoDB's answer to `operation` (e.g. "UpdateItem"); Refused or Unreachable."""
        for observe in observers:
            observe(operation)
        body = json.dumps(request, separators=(",", ":")).encode()
        for attempt in range(1, self.limits.attempts + 1):
            outcome = self._attempt(TARGET + operation, body)
            if isinstance(outcome, dict):
                return outcome
            if attempt == self.limits.attempts or not _worth_retrying(outcome):
                raise outcome
            self.sleep(random.random() * min(MAX_WAIT, 2.0 ** (attempt - 1)))  # noqa: S311
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(self, target: str, body: bytes) -> dict[str, Any] | Refused | Unreachable:
        """One attempt: the parsed answer, or what went wrong."""
        try:
            answer = self.send(target, body)
        except OSError as exc:
            return Unreachable(type(exc).__name__)
        if answer.damaged():
            return Unreachable("the answer's CRC32 does not match its body")
        if answer.status != 200:
            return error_of(answer)
        try:
            parsed: dict[str, Any] = json.loads(answer.body)
        except ValueError:
            return Unreachable("the answer is not JSON")
        return parsed

    def send(self, target: str, body: bytes) -> Answer:
        """One signed POST, as sent and answered (no retry)."""
        frozen = self.credentials.get_frozen_credentials()
        keys = Keys(frozen.access_key, frozen.secret_key, frozen.token)
        headers = self.signer.headers(target, body, keys, dt.datetime.now(dt.UTC))
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"POST / HTTP/1.1\r\n{lines}Content-Length: {len(body)}\r\n\r\n".encode()
        reply = self.connections.exchange(head, body)
        return Answer(reply.status, reply.body, reply.crc32)


def _worth_retrying(outcome: Refused | Unreachable) -> bool:
    return isinstance(outcome, Unreachable) or retried(outcome)
