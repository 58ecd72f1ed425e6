"""Matching actions on an integration being deleted: each is refused ("This integration is being
deleted.", 409 on the matching screen) and writes nothing, because every action's transaction
checks the integration's deletion mark. So a Match To that lands while the removal worker is
between its Query of the matching and its deletes leaves no audit entry behind."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.itdocs import sessions
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integration_removal
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.integrations import IntegrationBeingDeleted
from chalicelib.sync import integration_deletion, match_actions
from tests.fakes import hold_sync_queue
from tests.itdocs.removal_race import NOTHING, left_of
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync
from tests.web_client import WebClient

ORGANIZATIONS = ["Contoso", "Fabrikam, Inc.", "Northwind Traders"]
CUSTOMERS = [customer("1", "Contoso"), customer("2", "Fabrikam Inc"),
             customer("3", "Tailspin Toys"), customer("4", "Northwind Trader"),
             customer("5", "Wide World Importers")]
BEING_DELETED = "This integration is being deleted."


def _tenant(rt: Runtime) -> Tenant:
    """Customer 1 Matched (exact name), 2 and 4 suggested, 3 and 5 Unmatched; 5 then Ignored."""
    made = make_tenant(rt, ORGANIZATIONS, integration_id="")
    made.integration_id = make_integration(rt, made.account_id)
    sync(rt, made, CUSTOMERS)
    match_actions.ignore(rt, as_user(rt, made.manager), made.integration_id, "5")
    return made


def _mark(rt: Runtime, tenant: Tenant) -> str:
    """The Administrator deletes the integration; the removal's message (held, not yet run)."""
    held = hold_sync_queue(rt)
    integration_deletion.request(rt, as_user(rt, tenant.admin),
                                 integration_store.get_integration(tenant.integration_id))
    (body,) = held.bodies
    return body


def _matching(tenant: Tenant) -> tuple[list[tuple[str, str, str | None]], int]:
    """What the matching holds: each customer's (id, status, organization), audit entries."""
    records = sorted((m.customer_id, m.status, m.organization_id)
                     for m in store.matches_of_integration(tenant.integration_id))
    return records, len(store.audit_trail(tenant.integration_id, limit=1000))


def _actions(rt: Runtime, tenant: Tenant) -> dict[str, Callable[[], Any]]:
    user, iid = as_user(rt, tenant.manager), tenant.integration_id
    org = tenant.organizations
    return {
        "accept suggested": lambda: match_actions.accept_suggested(rt, user, iid, "2"),
        "accept selected": lambda: match_actions.accept_selected(rt, user, iid, ["2", "4"]),
        "match to": lambda: match_actions.match_to(rt, user, iid, "3", org["Contoso"]),
        "match to (named)": lambda: match_actions.match_to(
            rt, user, iid, "3", org["Contoso"], organization_name="Contoso"),
        "create organization": lambda: match_actions.create_organization(
            rt, user, iid, "3", name="Tailspin Toys"),
        "change match": lambda: match_actions.change_match(
            rt, user, iid, "1", org["Northwind Traders"]),
        "unmatch": lambda: match_actions.unmatch(rt, user, iid, "1"),
        "ignore": lambda: match_actions.ignore(rt, user, iid, "3"),
        "un-ignore": lambda: match_actions.unignore(rt, user, iid, "5"),
    }


def test_every_matching_action_is_refused_and_writes_nothing_once_deletion_is_marked(
        aws: Runtime) -> None:
    tenant = _tenant(aws)
    body = _mark(aws, tenant)
    before = _matching(tenant)
    listed_before = sorted(o.name for o in as_user(aws, tenant.admin).organizations())

    refused = {}
    for name, action in _actions(aws, tenant).items():
        with pytest.raises(IntegrationBeingDeleted) as caught:
            action()
        refused[name] = caught.value.message

    assert set(refused.values()) == {BEING_DELETED}, refused
    assert _matching(tenant) == before
    assert sorted(o.name for o in as_user(aws, tenant.admin).organizations()) == listed_before

    assert integration_deletion.handle_message(aws, body)
    assert left_of(tenant.integration_id, []) == NOTHING


def test_the_matching_screen_answers_409_saying_the_integration_is_being_deleted(
        aws: Runtime, client: WebClient) -> None:
    tenant = _tenant(aws)
    _mark(aws, tenant)
    token, _ = sessions.start(aws, tenant.manager)
    client.cookies["lh_itdocs_session"] = token
    base = f"/itdocs/integrations/{tenant.integration_id}/matching"
    client.get(f"{base}/3/match-to?q=contoso")

    answer = client.post(f"{base}/3/match-to",
                         {"organization_id": tenant.organizations["Contoso"], "version": 1})

    assert answer.status == 409
    assert BEING_DELETED in answer.text
    assert store.get_match(tenant.integration_id, "3").status == "Unmatched"


def match_to_during_the_removal(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """The removal worker has read the matching; a Match To lands before its deletes."""
    tenant = _tenant(rt)
    body = _mark(rt, tenant)
    tried: list[str] = []
    original = integration_removal._matched_keys

    def then_match_to(matches: list[Any]) -> Any:
        try:
            match_actions.match_to(rt, as_user(rt, tenant.manager), tenant.integration_id, "3",
                                   tenant.organizations["Contoso"])
            tried.append("written")
        except IntegrationBeingDeleted as refused:
            tried.append(refused.message)
        return original(matches)

    monkeypatch.setattr(integration_removal, "_matched_keys", then_match_to)
    assert integration_deletion.handle_message(rt, body)

    assert tried == [BEING_DELETED]
    assert left_of(tenant.integration_id, []) == NOTHING


def test_a_match_to_between_the_removals_query_and_its_deletes_leaves_nothing(
        aws: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    match_to_during_the_removal(aws, monkeypatch)


@pytest.mark.ddblocal
def test_a_match_to_between_the_removals_query_and_its_deletes_leaves_nothing_ddblocal(
        ddb: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    match_to_during_the_removal(ddb, monkeypatch)
