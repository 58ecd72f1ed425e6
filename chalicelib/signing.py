"""Signed, expiring, purpose-bound tokens (cookies, CSRF, login-attempt state).

Like itsdangerous: HMAC-SHA256 over a compact JSON payload; a list of keys allows rotation (the
first
signs, all verify); signatures are compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from chalicelib.clock import Clock, epoch_seconds
from chalicelib.errors import LinkhubError


class BadSignature(LinkhubError):
    """A signed token was tampered with, expired, or made for another purpose."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    def __init__(self, keys: Sequence[bytes], clock: Clock) -> None:
        if not keys:
            raise ValueError("at least one key")
        self._keys = list(keys)
        self._clock = clock

    def _mac(self, key: bytes, purpose: str, body: str) -> str:
        return _b64(hmac.new(key, f"{purpose}.{body}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, payload: dict[str, Any], max_age: int) -> str:
        data = dict(payload, _exp=epoch_seconds(self._clock.now()) + max_age)
        body = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
        return f"{body}.{self._mac(self._keys[0], purpose, body)}"

    def unsign(self, purpose: str, token: str | None) -> dict[str, Any]:
        if not token or token.count(".") != 1:
            raise BadSignature("missing or malformed token")
        body, mac = token.split(".")
        if not any(hmac.compare_digest(mac, self._mac(k, purpose, body)) for k in self._keys):
            raise BadSignature("bad signature")
        try:
            data = json.loads(_unb64(body))
        except ValueError as exc:
            raise BadSignature("bad payload") from exc
        if not isinstance(data, dict) or data.get("_exp", 0) < epoch_seconds(self._clock.now()):
            raise BadSignature("expired")
        data.pop("_exp")
        return data
