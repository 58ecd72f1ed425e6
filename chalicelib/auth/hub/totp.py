"""TOTP (RFC 6238: SHA-1, 6 digits, 30 s, ±1 step); single use is enforced by the store."""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp

PERIOD = 30
DIGITS = 6
ISSUER = "linkhub Hub"


def new_secret() -> str:
    return pyotp.random_base32(32)


def step_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // PERIOD


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step (now-1, now, now+1) whose code equals `code`, or None.

    pyotp's verify() would accept a replayed code; callers store the returned step and refuse any
    step at or below the last accepted one.
    """
    code = code.strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = step_of(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, moment: dt.datetime) -> str:
    """The code an authenticator shows at `moment` (devstack authenticator, tests)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).generate_otp(step_of(moment))


def provisioning_uri(secret: str, username: str, company_name: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=f"{username} ({company_name})", issuer_name=ISSUER
    )


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI, allowed by the page's CSP (img-src data:)."""
    import segno  # only enrolment draws a QR code: kept out of every function's cold start

    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))
