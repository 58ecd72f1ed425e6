"""schemathesis against the OpenAPI document the API serves, over real HTTP (`chalice local` on
DynamoDB Local), signed in as a seeded partner (issue 16, item 11).

The test loads `/api/v1/openapi.json` from the server and, for every operation in it, runs a
bounded, derandomized set of generated requests: valid ones (against generated ids and against the
seeded customer, so runs reach real data as well as 404s) and invalid ones. Every answer must not
be a 5xx, its status, content type, headers and body must be what the document declares, and
invalid input must be refused with a 4xx.

schemathesis' own pytest loader (`from_fixture`) reads a pytest internal that pytest 9 removed, so
each operation's strategy is driven by Hypothesis directly; the checks are schemathesis' own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import unsupported_method

from chalicelib import runtime
from chalicelib.portal.api_routes import openapi
from chalicelib.settings import from_environment
from tests.portal.helpers import Partner, make_partner

pytestmark = pytest.mark.ddblocal

MAX_EXAMPLES = 25
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
# (path, method, generation mode, whether the path's customer is the seeded one)
RUNS = [
    ("/openapi.json", "GET", POSITIVE, False),
    ("/saas/domains", "GET", POSITIVE, False),
    ("/saas/domains", "GET", NEGATIVE, False),
    *[(path, method, mode, seeded)
      for path, method in (("/saas/{saasCustomerId}/seats", "GET"),
                           ("/saas/{saasCustomerId}/applications", "GET"),
                           ("/saas/{saasCustomerId}/{externalSubscriptionId}/bulkSeatChange",
                            "PUT"))
      for mode in (POSITIVE, NEGATIVE) for seeded in (True, False)],
]


@pytest.fixture(scope="module")
def seeded(live_server) -> Iterator[Partner]:
    """One partner for every run (as `live` does, once): bulk runs may change its seats' states."""
    settings = from_environment().with_overrides(table_prefix=live_server.table_prefix,
                                                 dynamodb_endpoint=live_server.endpoint)
    runtime.install(runtime.build(settings))
    try:
        yield make_partner(customers=(("Office365", 5, True),))
    finally:
        runtime.reset()


@pytest.fixture
def served(live_server) -> dict[str, Any]:
    reply = requests.get(live_server.url("/api/v1/openapi.json"), timeout=10)
    assert reply.status_code == 200
    return reply.json()


def test_the_served_document_is_the_generated_one_and_covers_every_run(served):
    assert served == openapi.document()
    assert {(path, method.upper()) for path, ops in served["paths"].items() for method in ops} == {
        (path, method) for path, method, _, _ in RUNS}


def seeded_path(path: str, partner: Partner) -> dict[str, Any]:
    """The seeded customer's ids for the path's parameters."""
    customer = partner.customers[0]
    values = {"saasCustomerId": customer.saas_customer_id,
              "externalSubscriptionId": customer.external_subscription_id}
    return {name: value for name, value in values.items() if "{" + name + "}" in path}


# `unsupported_method` expects 405 for a method a path does not have; the contract answers any
# unknown route, method included, with its 404 in `{code, message}` (docs/rest-api.md).
@pytest.mark.parametrize(("path", "method", "mode", "on_seeded"), RUNS,
                         ids=[f"{m} {p} {g.value}{' seeded' if s else ''}" for p, m, g, s in RUNS])
def test_every_answer_matches_the_published_document(live_server, served, seeded, path, method,
                                                     mode, on_seeded):
    schema = schemathesis.openapi.from_dict(served)
    # Credentials through the configuration, so a case that leaves them out (negative) is sent so.
    schema.config.update(basic_auth=seeded.auth)
    operation = schema[path][method]
    fixed = seeded_path(path, seeded) if on_seeded else None
    base_url = live_server.url("/api/v1")
    answered: list[int] = []

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(mode, path_parameters=fixed))
    def run(case: Any) -> None:
        reply = case.call_and_validate(base_url=base_url, timeout=10,
                                       excluded_checks=[unsupported_method])
        answered.append(reply.status_code)

    run()
    assert answered and all(status < 500 for status in answered)
    if on_seeded and mode is POSITIVE:
        assert 200 in answered, answered
