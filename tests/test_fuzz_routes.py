"""Every route of app.py, fuzzed: no input gets a 500, every error is a 4xx, nothing stored changes.

The routes come from the Chalice app's own table, so a new route is fuzzed without editing this.
Each route gets bad path values (unicode digits, 1,025/2,049-character ids, control characters,
'../'), odd query strings, hostile bodies (deep JSON, 1 MB, wrong content type, non-UTF-8), odd
cookies and Authorization headers; anonymously (stored data must stay exactly as it was) and signed
in to every product with valid CSRF tokens (a hub user, a portal Security Admin, an IT Docs
Administrator, and the partner's API key). Everything is drawn from seeded generators: a failure
replays identically. A smaller pass on DynamoDB Local sends the oversized keys moto accepts.
Set FUZZ_FINDINGS=<file> to have every 500 written there too.
"""

from __future__ import annotations

import os
import random
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest

from app import app
from chalicelib.clock import FrozenClock
from chalicelib.portal import api_keys
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.users import User
from chalicelib.sync import integrations
from tests import fuzz_helpers as fz
from tests.auth.hub import helpers as hub
from tests.fakes import use_transport
from tests.itdocs import helpers as itdocs
from tests.portal import helpers as portal
from tests.sync.helpers import as_user, serve_portal
from tests.web_client import WebClient

SEED = "linkhub-issue-16"
FIELDS = fz.form_field_names()
CATCH_ALL = re.compile(r"p\d+")
KEY_SIZE_BODIES = {"form, every field 1025 letters", "form, every field 2049 letters",
                   "form, every field 39 digits"}
OVERSIZED_SESSIONS = {f"lh_{scope}_session": "z" * 2049 for scope in ("hub", "portal", "itdocs")}
ALWAYS_QUERIES = {"unicode digits", "5000 digits"}
ALWAYS_BODIES = {"form, every field empty", "form, only the CSRF token", "JSON, 100000 ["}
# Path values every named id gets (the rest are drawn at random per route).
ALWAYS = {label for label, _ in fz.KEY_SIZE_VALUES} | {
    "superscript one", "arabic-indic digits", "control characters", "dot dot slash", "empty"}


@dataclass
class Identity:
    """Who sends the requests: their cookies, a CSRF token per scope, ids that exist for them."""

    name: str
    cookies: dict[str, str]
    csrf: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)
    authorization: str = ""

    def csrf_for(self, route: fz.Route) -> str:
        return self.csrf.get(route.product, "no-token")


def csrf_of(client: WebClient, path: str) -> str:
    reply = client.get(path, follow=True)
    assert reply.status == 200, (path, reply)
    return reply.csrf


def anonymous(world: World) -> Identity:
    client = WebClient(app)
    # The hub's signing key is made on first use: make it now, not during the measured pass.
    assert client.get("/hub/oidc/jwks").status == 200
    csrf = {scope: csrf_of(client, f"/{scope}/login") for scope in ("hub", "portal")}
    return Identity("anonymous", dict(client.cookies), csrf, ids=dict(world.ids))


@dataclass
class World:
    rt: Runtime
    clock: FrozenClock
    client: WebClient
    hub_account: hub.Account
    partner: portal.Partner
    itdocs_admin: User
    ids: dict[str, str]
    outbound: fz.ObservingTransport


def build_world(rt: Runtime) -> World:
    """A hub user, a partner (Security Admin, API key, customers), an IT Docs account whose
    Administrator connected the partner; one client signed in to all three products."""
    client = WebClient(app)
    hub_account = hub.make_account(company_name=f"Fuzz MSP {uuid.uuid4().hex[:6]}",
                                   username="fuzzer")
    other_hub = hub.make_account(username="colleague", role="User", company=hub_account.company)
    assert hub.log_in(client, hub_account).status == 303

    outbound = fz.ObservingTransport(serve_portal(rt))
    use_transport(rt, outbound)
    partner = portal.make_partner()
    other_portal = portal.make_user(partner.company)
    spare_key = api_keys.issue(rt, partner.company.company_id, "spare", partner.admin.username)
    assert portal.log_in(client, partner.admin.username).status == 303

    account = itdocs.make_account()
    admin = itdocs.make_user(account)
    other_itdocs = itdocs.make_user(account, role="Editor")
    sync_user = as_user(rt, admin)
    integration = integrations.connect(rt, sync_user, public_key=partner.public_key,
                                       secret_key=partner.secret)
    integrations.update(rt, sync_user, integration.integration_id, sync_enabled=True,
                        accept_automatically=False)
    itdocs.sign_in(client, admin)
    csrf_of(client, f"/itdocs/account/integrations/{integration.integration_id}/edit")
    client.post(f"/itdocs/account/integrations/{integration.integration_id}/sync")
    matching = client.get(f"/itdocs/integrations/{integration.integration_id}/matching")
    assert 'data-customer-id="' in matching.text, "the sync left nothing to match"
    ids = {
        "customer_id": str(partner.customers[0].saas_customer_id),
        "saasCustomerId": str(partner.customers[0].saas_customer_id),
        "integration_id": integration.integration_id, "public_key": spare_key.key.public_key,
        "module": "portal", "name": "app.css",
        "hub_user_id": other_hub.user.user_id, "portal_user_id": other_portal.username,
        "itdocs_user_id": other_itdocs.user_id,
    }
    assert isinstance(rt.clock, FrozenClock)
    return World(rt, rt.clock, client, hub_account, partner, admin, ids, outbound)


def signed_in(world: World) -> Identity:
    client = world.client
    csrf = {"hub": csrf_of(client, "/hub"), "portal": csrf_of(client, "/portal/saas"),
            "itdocs": csrf_of(client, "/itdocs/organizations")}
    return Identity("signed in", dict(client.cookies), csrf, ids=dict(world.ids),
                    authorization=world.partner.authorization)


def valid_params(route: fz.Route, who: Identity) -> dict[str, str]:
    values = {}
    for name in route.params:
        value = who.ids.get(f"{route.product}_{name}") or who.ids.get(name) or "1"
        values[name] = value
    return values


def plan(route: fz.Route, who: Identity, key_sizes_only: bool = False) -> list[fz.Case]:
    """The cases one route gets: seeded by the route and the identity, so every run is the same."""
    rng = fz.rng_for(f"{SEED}:{who.name}:{route.method}:{route.path}")
    valid = valid_params(route, who)
    headers = {"authorization": who.authorization} if who.authorization else {}
    if route.takes_body:
        headers = {**headers, "content-type": "application/x-www-form-urlencoded"}
    cases: list[fz.Case] = []
    # Lighter: the API's four other methods per path and its catch-all paths (which share code
    # with the rest), and anonymous requests (turned away before most of a route's code runs).
    light = is_light(route, signed_in=who.name != "anonymous")
    for name, label, value in path_values(route, valid, rng, key_sizes_only, light):
        cases.append(fz.Case(route, f"{name} = {label}", {**valid, name: value},
                          headers=headers, body=form_body(route, who), bad_path=True))
    if key_sizes_only:
        if route.product == "api" and route.method == "GET":
            cases.append(fz.Case(route, "Authorization Basic, 2049-character key", valid,
                              headers={**headers, "authorization": fz.basic("k" * 2049, "s")}))
        if route.takes_body and not light_path(route):
            for label, content_type, body in fz.bodies(FIELDS, who.csrf_for(route)):
                if label in KEY_SIZE_BODIES:
                    cases.append(fz.Case(route, f"body {label}", valid,
                                      headers={**headers, "content-type": content_type},
                                      body=body))
        return cases
    cases.append(fz.Case(route, "baseline", valid, headers=headers, body=form_body(route, who)))
    for label, query in pick(fz.QUERY_STRINGS, ALWAYS_QUERIES, 0 if light else 1, rng, light):
        cases.append(fz.Case(route, f"query {label}", valid, query=query, headers=headers,
                          body=form_body(route, who)))
    if route.takes_body:
        for label, content_type, body in pick(fz.bodies(FIELDS, who.csrf_for(route)), ALWAYS_BODIES,
                                              2, rng, light):
            body_headers = {**headers, "content-type": content_type}
            cases.append(fz.Case(route, f"body {label}", valid, headers=body_headers, body=body))
    if route.product == "api":
        every_header = route.method == "GET" and not light_path(route)
        for label, value in fz.AUTH_HEADERS if every_header else rng.sample(fz.AUTH_HEADERS, 1):
            cases.append(fz.Case(route, f"Authorization {label}", valid,
                              headers={**headers, "authorization": value},
                              body=form_body(route, who)))
    if not light:
        allowed = app.routes[route.path]
        other = next((m for m in ("PATCH", "PUT", "DELETE") if m not in allowed), None)
        if other and route.method == min(allowed):
            cases.append(fz.Case(route, f"method {other}", valid, headers=headers, method=other))
    return cases


def is_light(route: fz.Route, signed_in: bool) -> bool:
    return not signed_in or light_path(route) or (
        route.product == "api" and route.method not in ("GET", "PUT"))


def light_path(route: fz.Route) -> bool:
    """The API's catch-all paths (unknown routes): they share their code with one another."""
    return any(CATCH_ALL.fullmatch(name) for name in route.params)


def pick(items: list[Any], always: set[str], extra: int, rng: random.Random,
         light: bool) -> list[Any]:
    """The items whose label is in `always` plus `extra` drawn at random; light plans draw one."""
    if light:
        return [rng.choice(items)]
    chosen = [item for item in items if item[0] in always]
    rest = [item for item in items if item[0] not in always]
    return chosen + rng.sample(rest, min(extra, len(rest)))


def path_values(route: fz.Route, valid: dict[str, str], rng: random.Random, key_sizes_only: bool,
                light: bool) -> list[tuple[str, str, str]]:
    """(parameter, label, value): every named id gets the oversized keys, unicode digits, control
    characters and '../' (plus a few drawn at random); the API's catch-all segments and its
    lighter methods get two drawn at random."""
    named = [name for name in route.params if not CATCH_ALL.fullmatch(name)]
    if key_sizes_only:
        return [(name, label, value) for name in named for label, value in fz.KEY_SIZE_VALUES]
    chosen: list[tuple[str, str, str]] = []
    if light or not named:
        everything = [(name, label, value) for name in route.params
                      for label, value in fz.PATH_VALUES]
        return rng.sample(everything, min(3, len(everything)))
    for name in named:
        padded = ("300 letters then a valid id", "a" * 300 + valid[name])
        always = [v for v in fz.PATH_VALUES if v[0] in ALWAYS] + [padded]
        others = [v for v in fz.PATH_VALUES if v[0] not in ALWAYS]
        chosen += [(name, label, value) for label, value in always + rng.sample(others, 2)]
    for name in route.params:
        if CATCH_ALL.fullmatch(name):
            label, value = rng.choice(fz.PATH_VALUES)
            chosen.append((name, label, value))
    return chosen


def form_body(route: fz.Route, who: Identity) -> bytes | None:
    if not route.takes_body:
        return None
    return urlencode({"csrf_token": who.csrf_for(route), "name": "Fuzz"}).encode()


def cookie_cases(route: fz.Route, who: Identity) -> list[tuple[fz.Case, dict[str, str] | str]]:
    rng = fz.rng_for(f"{SEED}:cookies:{who.name}:{route.method}:{route.path}")
    label, cookies = rng.choice(fz.cookie_variants(who.cookies))
    headers = {"authorization": who.authorization} if who.authorization else {}
    return [(fz.Case(route, f"cookies {label}", valid_params(route, who), headers=headers,
                  body=form_body(route, who)), cookies)]


@dataclass
class Outcome:
    sent: int = 0
    findings: list[fz.Finding] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)
    """route "METHOD path" -> status of its baseline request (valid ids, no hostile input)"""
    accepted: list[str] = field(default_factory=list)
    """requests with a malformed id in their path that were answered 2xx as if it were valid"""


def run_cases(routes: list[fz.Route], who: Identity, key_sizes_only: bool = False,
              keep_alive: World | None = None) -> Outcome:
    outcome = Outcome()
    with fz.capturing_traces() as traces:
        for route in routes:
            work: list[tuple[fz.Case, dict[str, str] | str]] = [
                (case, who.cookies) for case in plan(route, who, key_sizes_only)]
            if not key_sizes_only:
                work += cookie_cases(route, who)
            elif route.method == "GET":
                work.append((fz.Case(route, "2049-character session cookies",
                                  valid_params(route, who)), OVERSIZED_SESSIONS))
            for case, cookies in work:
                status = fz.invoke(app, case, cookies)
                outcome.sent += 1
                trace = traces.take()
                if not 200 <= status < 500:
                    outcome.findings.append(fz.Finding(case, status, trace))
                if case.bad_path and 200 <= status < 300:
                    outcome.accepted.append(f"{status} {route.method} {route.path} "
                                            f"{case.describe()}")
                if case.label == "baseline":
                    outcome.answered[f"{route.method} {route.path}"] = status
            if keep_alive is not None and route.method != "GET" and route.product in CHECKS:
                stay_signed_in(keep_alive, who, (route.product,))
    return outcome


CHECKS = {"hub": "/hub", "portal": "/portal/saas", "itdocs": "/itdocs/organizations"}


def stay_signed_in(world: World, who: Identity, scopes: tuple[str, ...] = tuple(CHECKS)) -> None:
    """A fuzzed POST may have signed a session out (log-out routes run last): sign in again."""
    client = world.client
    client.cookies = dict(who.cookies)
    for scope in scopes:
        path = CHECKS[scope]
        if client.get(path).status == 200:
            continue
        world.clock.advance(seconds=31)  # a fresh TOTP code
        if scope == "hub":
            hub.log_in(client, world.hub_account)
        elif scope == "portal":
            portal.log_in(client, world.partner.admin.username)
        else:
            itdocs.sign_in(client, world.itdocs_admin)
        reply = client.get(path)
        if reply.status == 200:
            who.csrf[scope] = reply.csrf
    who.cookies = dict(client.cookies)


def report(outcome: Outcome, identity: str, backend: str, world: World) -> str:
    lines = sorted({f.line(identity, backend) for f in outcome.findings})
    lines += [f"{line} [{identity}, {backend}]" for line in sorted(set(world.outbound.failures))]
    target = os.environ.get("FUZZ_FINDINGS")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.writelines(line + "\n" for line in lines)
    shown = "\n".join(lines[:60]) + (f"\n... and {len(lines) - 60} more" if len(lines) > 60 else "")
    return f"{len(outcome.findings)} of {outcome.sent} requests not answered 2xx-4xx:\n{shown}"


def page_gets_answered(outcome: Outcome, status: int) -> dict[str, int]:
    """product -> how many of its parameterless page GETs answered `status` at baseline."""
    counts: dict[str, int] = {}
    for key, answered in outcome.answered.items():
        method, path = key.split(" ", 1)
        product = path.strip("/").split("/", 1)[0]
        if method == "GET" and "{" not in path and product in CHECKS and answered == status:
            counts[product] = counts.get(product, 0) + 1
    return counts


@pytest.fixture
def world(aws: Runtime) -> Iterator[World]:
    yield build_world(aws)


def test_every_route_answers_anonymous_fuzz_with_a_4xx_and_stores_nothing(world: World) -> None:
    who = anonymous(world)
    before = fz.snapshot()

    outcome = run_cases(fz.routes_of(app), who)

    assert not outcome.findings and not world.outbound.failures, report(
        outcome, "anonymous", "moto", world)
    assert fz.changes(before, fz.snapshot()) == {}
    assert outcome.sent > 1500 and outcome.accepted == []


def test_every_route_answers_signed_in_fuzz_with_a_4xx(world: World) -> None:
    who = signed_in(world)

    outcome = run_cases(fz.routes_of(app), who, keep_alive=world)

    assert not outcome.findings and not world.outbound.failures, report(
        outcome, "signed in", "moto", world)
    assert outcome.sent > 2500
    # A malformed id ('\u0661\u0660\u0660\u0660\u0660\u0661', 2,049 characters, '../') is never
    # taken for a valid one.
    assert outcome.accepted == []
    # The pass really was signed in: each product's own pages answered its user, not a log-in.
    answered = page_gets_answered(outcome, 200)
    assert answered["hub"] >= 3 and answered["portal"] >= 4 and answered["itdocs"] >= 6, answered
    # And every product still answers its user afterwards (signed in again where a log-out ran).
    stay_signed_in(world, who)
    for path in CHECKS.values():
        assert world.client.get(path).status == 200, path


@pytest.mark.ddblocal
def test_oversized_ids_get_a_4xx_from_real_dynamodb(ddb: Runtime) -> None:
    """DynamoDB (unlike moto) refuses keys over 2,048/1,024 bytes and numbers over 38 digits:
    every id in every route's path and every field of every form, anonymously and signed in, gets
    those; nothing stored fz.changes for the anonymous pass."""
    world = build_world(ddb)
    routes = [route for route in fz.routes_of(app) if (route.params or route.takes_body)
              and not is_light(route, signed_in=True)]
    anon = anonymous(world)
    before = fz.snapshot()

    outcome = run_cases(routes, anon, key_sizes_only=True)

    assert not outcome.findings, report(outcome, "anonymous", "DynamoDB Local", world)
    assert fz.changes(before, fz.snapshot()) == {}

    outcome = run_cases(routes, signed_in(world), key_sizes_only=True)

    assert not outcome.findings and not world.outbound.failures, report(
        outcome, "signed in", "DynamoDB Local", world)
    assert outcome.sent > 400 and outcome.accepted == []
