"""The matching screen's forms sent empty or malformed: a 400 with the form's message, nothing
changed, never a 500."""

from __future__ import annotations

import pytest

from chalicelib.itdocs import sessions
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync
from tests.web_client import WebClient

SELECT = "Select the customers whose suggested match to accept."
CHOOSE = "Choose the organization to match the customer to."
MALFORMED = ["", " ", "\u00b9", "\u0661", "x" * 2049, "a\x00b"]


@pytest.fixture
def tenant(aws: Runtime) -> Tenant:
    made = make_tenant(aws, ["Contoso", "Fabrikam, Inc."], integration_id="")
    made.integration_id = make_integration(aws, made.account_id)
    sync(aws, made, [customer("1", "Contoso"), customer("2", "Fabrikam Inc"),
                     customer("3", "Tailspin Toys")])
    return made


@pytest.fixture
def manager(aws: Runtime, client: WebClient, tenant: Tenant) -> WebClient:
    token, _ = sessions.start(aws, tenant.manager)
    client.cookies["lh_itdocs_session"] = token
    return client


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/itdocs/integrations/{tenant.integration_id}/matching{rest}"


def states(tenant: Tenant) -> dict[str, tuple[str, str | None, int]]:
    return {
        customer_id: (record.status, record.organization_id, record.version)
        for customer_id in ("1", "2", "3")
        for record in [store.get_match(tenant.integration_id, customer_id)]
    }


@pytest.mark.parametrize("value", MALFORMED)
def test_accept_selected_with_an_empty_or_malformed_customer_is_the_forms_400(
    manager: WebClient, tenant: Tenant, value: str
) -> None:
    before = states(tenant)
    manager.get(url(tenant))

    reply = manager.post(url(tenant, "/accept-selected"), {"customer_id": value})

    assert reply.status == 400 and SELECT in reply.text
    assert states(tenant) == before


def test_a_malformed_customer_among_good_ones_is_skipped(
    manager: WebClient, tenant: Tenant
) -> None:
    manager.get(url(tenant))

    reply = manager.post(url(tenant, "/accept-selected"), {"customer_id": ["", "x" * 2049, "2"]})

    assert reply.status == 303
    assert store.get_match(tenant.integration_id, "2").status == "Matched"


@pytest.mark.parametrize("customer_id", ["3", "1"])  # Match To (Unmatched), Change Match (Matched)
@pytest.mark.parametrize("sent", [{}, {"organization_id": ""}, {"organization_id": "x" * 2049},
                                  {"organization_id": "\u00b9"}])
def test_match_to_without_an_organization_is_the_forms_400(
    manager: WebClient, tenant: Tenant, customer_id: str, sent: dict[str, str]
) -> None:
    before = states(tenant)
    manager.get(url(tenant, f"/{customer_id}/match-to"))

    reply = manager.post(url(tenant, f"/{customer_id}/match-to"), sent)

    assert reply.status == 400 and CHOOSE in reply.text
    assert "Match To" in reply.text or "Change Match" in reply.text  # the form, shown again
    assert states(tenant) == before


def test_a_version_in_unicode_digits_is_no_version(manager: WebClient, tenant: Tenant) -> None:
    csrf = manager.get(url(tenant)).csrf

    for version in ("\u00b9", "\u0661", "1" * 5000):
        reply = manager.post(url(tenant, "/3/ignore"), {"version": version}, csrf=csrf)
        assert reply.status in (303, 400)  # ignored, then "is Ignored, not Unmatched"
    assert store.get_match(tenant.integration_id, "3").status == "Ignored"


def test_a_notice_about_a_malformed_customer_shows_the_screen(
    manager: WebClient, tenant: Tenant
) -> None:
    page = manager.get(url(tenant, f"?notice=accepted&customer={'x' * 2049}"))

    assert page.status == 200 and "Suggested match accepted." in page.text
