"""The vendor's `/seats` as live clients record it, for local runs and tests (off by default).

The real SaaS Protection API takes 30-60 s on large customers and answers 504 above a few dozen
seats. `vendor_seat_latency_ms` waits that long per seat of the listed customer (through
`rt.sleep`, so tests do not wait) and `vendor_seats_504_above` answers 504 above that many seats,
so the whole chain (this API, the IT Docs sync) can be run the way the vendor behaves.
"""

from __future__ import annotations

from chalicelib.errors import GatewayTimeout
from chalicelib.runtime import Runtime


def seats_answered(rt: Runtime, seat_total: int) -> None:
    """Behave as the vendor would before answering a seat list of `seat_total` seats."""
    threshold = rt.settings.vendor_seats_504_above
    if threshold and seat_total > threshold:
        raise GatewayTimeout(f"Timed out listing {seat_total} seats (more than {threshold}).")
    if rt.settings.vendor_seat_latency_ms > 0:
        rt.sleep(rt.settings.vendor_seat_latency_ms * seat_total / 1000)
