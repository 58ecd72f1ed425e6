"""The article's "Actions >" menus and words on IT Docs' pages, as a browser without JavaScript sees
them: Account > Integrations, the green "+ New", SaaS Protection chosen by its icon, an Actions menu
per integration (Matching, Start Manual Sync, ...) and per matched customer (Change Match,
Unmatch) whose forms work when posted; the matching screen's product names, its Score column
explained, and Match To listing only organizations that fit what was searched."""

from __future__ import annotations

import re

import pytest

from chalicelib.itdocs import sessions
from chalicelib.matching.reconcile import SyncedCustomer
from chalicelib.matching.suggestions import SEARCH_FLOOR, SUGGESTION_THRESHOLD
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.users import User
from tests.itdocs.menus import actions_menus, only_menu, submit
from tests.sync.matching_helpers import Tenant, make_integration, make_tenant, sync
from tests.web_client import WebClient

ORGANIZATIONS = ["Contoso", "Contoso East", "Fabrikam, Inc.", "Northwind Traders",
                 "Tailwind Traders", "Zephyr Logistics"]
CUSTOMERS = [
    SyncedCustomer("1", "Contoso", "contoso.example", "Office365"),
    SyncedCustomer("2", "Fabrikam Inc", "fabrikam.example", "GoogleWorkspace"),
    SyncedCustomer("3", "Tailspin Toys", "tailspin.example", "Office365"),
    SyncedCustomer("4", "Northwind Traders", "northwind.example", "GoogleWorkspace"),
]


@pytest.fixture
def tenant(aws: Runtime) -> Tenant:
    made = make_tenant(aws, ORGANIZATIONS, integration_id="")
    made.integration_id = make_integration(aws, made.account_id)
    sync(aws, made, CUSTOMERS)  # 1 and 4 match by exact name; 2 is suggested; 3 is not
    return made


def sign_in(rt: Runtime, client: WebClient, user: User) -> WebClient:
    token, _ = sessions.start(rt, user)
    client.cookies["lh_itdocs_session"] = token
    return client


def screen(tenant: Tenant, rest: str = "") -> str:
    return f"/itdocs/integrations/{tenant.integration_id}/matching{rest}"


def row(html: str, customer_id: str) -> str:
    found = re.search(rf'<tr data-customer-id="{customer_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for customer {customer_id}"
    return found.group(1)


def listed(html: str) -> dict[str, int]:
    """The Match To page's organizations and their scores."""
    rows = re.findall(r'<tr data-organization-id="[^"]+">\s*<td>([^<]+)</td>\s*<td>(\d+)</td>',
                      html)
    return {name.replace("&amp;", "&"): int(score) for name, score in rows}


# -- Account > Integrations ------------------------------------------------------------------------


def test_account_is_a_menu_with_integrations_in_it(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    page = sign_in(aws, client, tenant.manager).get("/itdocs/organizations")

    account = re.search(r"<summary>Account</summary>(.*?)</details>", page.text, re.S)
    assert account, "no Account menu in the navigation"
    assert '<a href="/itdocs/account/integrations">Integrations</a>' in account.group(1)


def test_each_integration_has_an_actions_menu_with_the_articles_actions(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    second = make_integration(aws, tenant.account_id)
    page = sign_in(aws, client, tenant.manager).get("/itdocs/account/integrations")

    menus = actions_menus(page.text)
    assert len(menus) == 2 and {m.summary for m in menus} == {"Actions"}
    for menu in menus:
        assert menu.labels == ["Matching", "Start Manual Sync", "Logs", "Edit",
                               "Change API keys", "Delete"]
        sync_form = menu.item("Start Manual Sync")
        assert sync_form.method == "post" and sync_form.fields["csrf_token"] == page.csrf
    targets = {m.item("Matching").href for m in menus}
    assert targets == {f"/itdocs/integrations/{i}/matching" for i in (tenant.integration_id,
                                                                      second)}
    assert client.get(menus[0].item("Matching").href or "").status == 200


def test_the_menus_form_starts_the_sync_without_javascript(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    page = sign_in(aws, client, tenant.manager).get("/itdocs/account/integrations")
    started = submit(client, only_menu(page.text).item("Start Manual Sync"))

    assert "Manual sync started" in started.text
    assert "Syncing..." in started.text


def test_new_is_the_green_button_and_saas_protection_is_chosen_by_its_icon(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    page = sign_in(aws, client, tenant.manager).get("/itdocs/account/integrations")
    assert '<a class="button new" href="/itdocs/account/integrations/new">+ New</a>' in page.text
    assert '<link rel="stylesheet" href="/static/itdocs.css">' in page.text
    css = client.get("/static/itdocs.css")
    assert css.status == 200 and ".button.new { background: #1b7f3b; }" in css.text

    choose = client.get("/itdocs/account/integrations/new")
    tile = re.search(r'<a href="/itdocs/account/integrations/new/saas-protection">(.*?)</a>',
                     choose.text, re.S)
    assert tile, "no SaaS Protection tile"
    icon = tile.group(1)
    assert '<svg class="integration-icon"' in icon and 'aria-hidden="true"' in icon
    assert "<span>SaaS Protection</span>" in tile.group(1)


# -- the matching screen ---------------------------------------------------------------------------


def test_each_matched_row_has_actions_change_match_and_unmatch_and_unmatched_rows_do_not(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    matched = sign_in(aws, client, tenant.manager).get(screen(tenant, "?tab=matched"))

    for customer_id in ("1", "4"):
        menu = only_menu(row(matched.text, customer_id))
        assert menu.labels == ["Change Match", "Unmatch"]
        assert menu.item("Change Match").href == screen(tenant, f"/{customer_id}/match-to")
        unmatch = menu.item("Unmatch")
        assert unmatch.method == "post" and unmatch.fields["csrf_token"] == matched.csrf
        assert unmatch.fields["version"] == str(store.get_match(tenant.integration_id,
                                                                customer_id).version)
    unmatched = client.get(screen(tenant))
    assert actions_menus(unmatched.text) == []
    assert "Accept Suggested Match" in row(unmatched.text, "2")  # as the article: no menu


def test_unmatch_from_the_menu_without_javascript(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    matched = sign_in(aws, client, tenant.manager).get(screen(tenant, "?tab=matched"))

    done = submit(client, only_menu(row(matched.text, "4")).item("Unmatch"))

    assert "Northwind Traders: Customer unmatched." in done.text
    assert store.get_match(tenant.integration_id, "4").status == "Unmatched"


def test_products_show_by_the_names_the_card_uses(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    unmatched = sign_in(aws, client, tenant.manager).get(screen(tenant))
    matched = client.get(screen(tenant, "?tab=matched"))

    assert "<td>Google Workspace</td>" in row(unmatched.text, "2")
    assert "<td>Microsoft 365</td>" in row(unmatched.text, "3")
    assert "<td>Microsoft 365</td>" in row(matched.text, "1")
    for page in (unmatched, matched, client.get(screen(tenant, "/3/match-to"))):
        assert "Office365" not in page.text and "GoogleWorkspace" not in page.text
    assert "Microsoft 365" in client.get(screen(tenant, "/3/match-to")).text


def test_the_score_column_is_explained(aws: Runtime, client: WebClient, tenant: Tenant) -> None:
    page = sign_in(aws, client, tenant.manager).get(screen(tenant))

    assert '<th scope="col" aria-describedby="score-help">Score</th>' in page.text
    help_text = re.search(r'<p class="hint" id="score-help">(.*?)</p>', page.text, re.S)
    assert help_text and "from 0 (nothing alike) to 100" in help_text.group(1)
    assert f"suggested only at {SUGGESTION_THRESHOLD} or more" in help_text.group(1)
    assert "<td data-score>100</td>" in row(page.text, "2")


# -- Match To --------------------------------------------------------------------------------------


def test_match_to_lists_only_organizations_meeting_the_minimum_score_or_the_search_text(
    aws: Runtime, client: WebClient, tenant: Tenant
) -> None:
    sign_in(aws, client, tenant.manager)

    first = client.get(screen(tenant, "/3/match-to"))  # searched for the customer's name
    assert 'value="Tailspin Toys"' in first.text
    assert listed(first.text) == {"Tailwind Traders": 62}
    assert f"scores {SEARCH_FLOOR} or more" in first.text
    assert "how alike the organization's name is to “Tailspin Toys”" in first.text

    north = listed(client.get(screen(tenant, "/3/match-to?q=north")).text)
    assert north == {"Northwind Traders": 90}
    typo = listed(client.get(screen(tenant, "/3/match-to?q=contso")).text)
    assert set(typo) == {"Contoso", "Contoso East"}
    assert all(score >= SEARCH_FLOOR for score in typo.values())
    traders = listed(client.get(screen(tenant, "/3/match-to?q=traders")).text)
    assert set(traders) == {"Northwind Traders", "Tailwind Traders"}

    nothing = client.get(screen(tenant, "/3/match-to?q=qqqq"))
    assert listed(nothing.text) == {}
    assert "No organization's name contains “qqqq”" in nothing.text
    blank = client.get(screen(tenant, "/3/match-to?q=+"))
    assert listed(blank.text) == {"Tailwind Traders": 62}  # blank: the customer's name again
