"""The matching screen through HTTP: tabs, counts, search, each action, roles and other accounts."""

from __future__ import annotations

import re

import pytest

from chalicelib.itdocs import organizations, sessions
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.users import User
from tests.itdocs.helpers import setup_admin
from tests.itdocs.menus import only_menu, submit
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync
from tests.web_client import WebClient

ORGANIZATIONS = ["Contoso", "Fabrikam, Inc.", "Northwind Traders"]
CUSTOMERS = [
    customer("1", "Contoso"),
    customer("2", "Fabrikam Inc"),
    customer("3", "Tailspin Toys"),
    customer("4", "Northwind Trader"),
]


@pytest.fixture
def tenant(aws: Runtime) -> Tenant:
    made = make_tenant(aws, ORGANIZATIONS, integration_id="")
    made.integration_id = make_integration(aws, made.account_id)
    sync(aws, made, CUSTOMERS)
    return made


def sign_in(rt: Runtime, client: WebClient, user: User) -> WebClient:
    token, _ = sessions.start(rt, user)
    client.cookies["lh_itdocs_session"] = token
    return client


def url(tenant: Tenant, rest: str = "") -> str:
    return f"/itdocs/integrations/{tenant.integration_id}/matching{rest}"


def row(html: str, customer_id: str) -> str:
    found = re.search(rf'<tr data-customer-id="{customer_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for customer {customer_id}"
    return found.group(1)


def test_the_unmatched_tab_shows_counts_suggestions_with_scores_and_the_actions(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    page = sign_in(aws, client, tenant.manager).get(url(tenant))

    assert page.status == 200
    assert 'data-count="unmatched">3<' in page.text
    assert 'data-count="matched">1<' in page.text
    assert 'data-count="ignored">0<' in page.text
    fabrikam = row(page.text, "2")
    assert "Fabrikam, Inc." in fabrikam and "<td data-score>100</td>" in fabrikam
    assert "c2.example.com" in fabrikam and "Microsoft 365" in fabrikam
    for button in ("Accept Suggested Match", "Match To", "Create Organization", "Ignore"):
        assert button in fabrikam
    assert "No suggestion" in row(page.text, "3")


def test_the_search_box_filters_the_tab(aws: Runtime, client: WebClient, tenant: Tenant) -> None:
    page = sign_in(aws, client, tenant.manager).get(url(tenant, "?tab=unmatched&q=tailspin"))

    assert 'data-customer-id="3"' in page.text
    assert 'data-customer-id="2"' not in page.text
    assert 'data-count="unmatched">3<' in page.text


def test_accept_suggested_match_from_the_screen(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.manager).get(url(tenant))
    version = store.get_match(tenant.integration_id, "2").version

    done = client.post(
        url(tenant, "/2/accept"), {"version": version, "customer_id": "2"}, follow=True
    )

    assert "Fabrikam Inc: Suggested match accepted." in done.text
    assert "A sync is queued" in done.text
    matched = client.get(url(tenant, "?tab=matched"))
    assert "Fabrikam, Inc." in row(matched.text, "2")
    assert tenant.manager.email in matched.text  # the audit trail says who
    # when, as a time the viewer's browser shows in its own zone (UTC without JavaScript)
    stamp = aws.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'<time datetime="{stamp}" data-local>' in row(matched.text, "2")


def test_bulk_accept_of_selected_suggestions(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.admin).get(url(tenant))

    done = client.post(url(tenant, "/accept-selected"), {"customer_id": ["2", "4"]}, follow=True)

    assert 'data-count="matched">3<' in done.text
    assert 'data-count="unmatched">1<' in done.text


def test_match_to_searches_organizations_and_matches_the_one_picked(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    picker = sign_in(aws, client, tenant.manager).get(url(tenant, "/3/match-to?q=north"))
    assert "Northwind Traders" in picker.text and "Contoso" not in picker.text

    northwind = tenant.organizations["Northwind Traders"]
    done = client.post(
        url(tenant, "/3/match-to"), {"organization_id": northwind, "version": 1}, follow=True
    )

    assert "Tailspin Toys: Customer matched." in done.text
    assert store.get_match(tenant.integration_id, "3").organization_id == northwind


def test_create_organization_lists_similar_names_before_creating(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.manager)
    warning = client.get(url(tenant, "/4/create-organization"))
    assert "Organizations with similar names" in warning.text
    assert "Northwind Traders" in warning.text
    assert "Create Organization anyway" in warning.text

    # Another name than the one checked is checked first, not created.
    renamed = client.post(
        url(tenant, "/4/create-organization"),
        {"name": "Northwind Trading Co", "checked_name": "Northwind Trader"},
    )
    assert renamed.status == 200
    assert len(organizations.list_all(aws, setup_admin(tenant.account_id))) == 3

    created = client.post(
        url(tenant, "/4/create-organization"),
        {"name": "Northwind Trader", "checked_name": "Northwind Trader", "version": 1},
        follow=True,
    )
    assert "Organization created and matched." in created.text
    assert len(organizations.list_all(aws, setup_admin(tenant.account_id))) == 4


def test_create_organization_refuses_an_exact_duplicate(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.manager).get(url(tenant, "/3/create-organization"))

    refused = client.post(
        url(tenant, "/3/create-organization"), {"name": "Contoso", "checked_name": "Contoso"}
    )

    assert refused.status == 409
    assert "already exists" in refused.text
    assert len(organizations.list_all(aws, setup_admin(tenant.account_id))) == 3


def test_ignore_un_ignore_change_match_and_unmatch(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.manager).get(url(tenant))
    client.post(url(tenant, "/3/ignore"), {"version": 1, "customer_id": "3"})
    ignored = client.get(url(tenant, "?tab=ignored"))
    assert "Un-ignore" in row(ignored.text, "3")

    client.post(url(tenant, "/3/unignore"), {"version": 2})
    assert 'data-customer-id="3"' in client.get(url(tenant)).text

    # Actions > Change Match on the matched row, then Actions > Unmatch (their forms, no script).
    matched = client.get(url(tenant, "?tab=matched"))
    change = only_menu(row(matched.text, "1")).item("Change Match")
    client.get(change.href or "")
    northwind = tenant.organizations["Northwind Traders"]
    changed = client.post(change.href or "", {"organization_id": northwind}, follow=True)
    assert "Contoso: Match changed." in changed.text

    unmatched = submit(client, only_menu(row(changed.text, "1")).item("Unmatch"))
    assert "Contoso: Customer unmatched." in unmatched.text
    assert store.get_match(tenant.integration_id, "1").status == "Unmatched"


def test_an_action_on_a_stale_page_is_refused_with_the_current_state(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.manager).get(url(tenant))
    client.post(url(tenant, "/2/ignore"), {"version": 1}, follow=True)

    stale = client.post(url(tenant, "/2/accept"), {"version": 1})

    assert stale.status == 409
    assert "changed by someone else" in stale.text


def test_editors_cannot_see_or_change_matches(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.editor)

    assert client.get(url(tenant)).status == 403
    assert client.post(url(tenant, "/2/ignore"), {"version": 1}, csrf=None).status == 403
    assert store.get_match(tenant.integration_id, "2").status == "Unmatched"


def test_another_accounts_integration_is_not_found(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    other = make_tenant(aws, ["Contoso"], integration_id="")
    sign_in(aws, client, other.manager)

    assert client.get(url(tenant)).status == 404
    assert client.get(url(tenant, "/2/match-to")).status == 404


def test_signed_out_visitors_are_sent_to_log_in(client: WebClient, tenant: Tenant) -> None:
    reply = client.get(url(tenant))

    assert reply.status in (302, 303)
    assert "/itdocs/login" in reply.location
