"""The full "Log In with Hub" round trip of the Partner Portal, in-process on DynamoDB Local.

A browser that already has a hub session clicks Log In with Hub: the portal's start, the hub's
authorize (no typing: the hub session answers), the portal's callback (which redeems the code at
the hub's token endpoint and checks the ID token against the JWKS, through the loopback transport,
so those requests are counted too) and the portal home. Each step's time and DynamoDB requests
(tables.counting_calls(), transactions included), then the whole round trip.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from bench import median, percentile, table
from bench.hub_login import database, quiet_request_log

ROUNDS = 20
STEPS = ("1 GET /portal/sso/start", "2 GET /hub/oidc/authorize (hub session)",
         "3 GET /portal/sso/callback (token + ID token)", "4 GET /portal/ (home)")


def _path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def round_trip_table() -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    from app import app
    from chalicelib import runtime, settings
    from chalicelib.clock import FrozenClock
    from chalicelib.portal import companies, security_settings, users
    from chalicelib.portal.policy import SECURITY_ADMIN
    from chalicelib.storage import tables
    from chalicelib.storage.portal import security_settings as security_store
    from tests.auth.hub.helpers import log_in, make_account
    from tests.loopback import CountingTransport, LoopbackTransport
    from tests.web_client import WebClient

    endpoint, context, stop = database()
    hub_side: dict[str, list[int]] = defaultdict(list)
    times: dict[str, list[float]] = defaultdict(list)
    calls: dict[str, list[int]] = defaultdict(list)
    operations: dict[str, Counter[str]] = defaultdict(Counter)
    totals: list[tuple[float, int]] = []
    try:
        with context:
            clock = FrozenClock(dt.datetime.now(dt.UTC))
            chosen = settings.from_environment().with_overrides(
                dynamodb_endpoint=endpoint, table_prefix=f"bench-{secrets.token_hex(3)}-",
                local_key_hex=secrets.token_hex(32), base_url="http://localhost:8000")
            transport = CountingTransport(LoopbackTransport(app, chosen.base_url))
            rt = runtime.install(runtime.build(chosen, clock=clock, transport=transport))
            tables.create_tables()
            hub = make_account(company_name="Bench Hub MSP", username="alice")
            partner = companies.create_company(rt, "Bench Partner")
            users.set_up_user(rt, partner, username="alice-portal", email="alice@example.com",
                              name="Alice", role=SECURITY_ADMIN, password="bench-portal-pass-1")
            security_store.link_company(partner.company_id, issuer=rt.settings.hub_issuer,
                                        hub_company_id=hub.company.company_id,
                                        hub_company_name=hub.company.name, now=clock.now(),
                                        actor="bench")
            assert security_settings.security_settings(rt, partner.company_id).linked
            browser = WebClient(app)
            assert log_in(browser, hub).status == 303
            for round_number in range(ROUNDS + 1):
                browser.cookies.pop("lh_portal_session", None)
                clock.advance(seconds=5)
                target = "/portal/sso/start"
                spent, counted = 0.0, 0
                for step in STEPS:
                    transport.hub_calls = 0
                    with tables.counting_calls() as counter:
                        started = time.perf_counter()
                        reply = browser.get(target)
                        elapsed = (time.perf_counter() - started) * 1000
                    if round_number:  # the first round fills caches (JWKS, discovery, keys)
                        times[step].append(elapsed)
                        calls[step].append(counter.total)
                        hub_side[step].append(transport.hub_calls)
                        operations[step].update(counter.calls)
                    spent, counted = spent + elapsed, counted + counter.total
                    target = _path(reply.location) if reply.status == 303 else target
                assert reply.status == 200, reply
                if round_number:
                    totals.append((spent, counted))
    finally:
        runtime.reset()
        stop()

    backend = "DynamoDB Local" if endpoint else "moto (in-process)"
    rows: list[list[object]] = []
    for step in STEPS:
        ops = ", ".join(f"{name} {count // ROUNDS}" for name, count in
                        sorted(operations[step].items()))
        hub_calls = median([float(c) for c in hub_side[step]])
        rows.append([step, median(times[step]), percentile(times[step], 0.9),
                     median([float(c) for c in calls[step]]), max(calls[step]), hub_calls,
                     median([float(c) for c in calls[step]]) - hub_calls, ops])
    spent_all = [t for t, _ in totals]
    rows.append(["round trip (1-4)", median(spent_all), percentile(spent_all, 0.9),
                 median([float(c) for _, c in totals]), max(c for _, c in totals), "", "", ""])
    return table(
        f"Log In with Hub round trip in-process on {backend}, {ROUNDS} rounds "
        "(ms; DynamoDB requests per step, hub token endpoint included in the callback)",
        ["step", "median ms", "p90 ms", "calls", "max calls", "of them the hub's token request",
         "the module's own", "operations per round"],
        rows,
    )


def main() -> None:
    with quiet_request_log():
        print(round_trip_table(), flush=True)


if __name__ == "__main__":
    main()
