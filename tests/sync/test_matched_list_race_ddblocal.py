"""An organization's list of matched customers under racing match actions on DynamoDB Local:
whatever wins, each organization lists exactly the customers whose record says Matched to it
(real DynamoDB, because moto serialises transactions)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chalicelib.errors import LinkhubError
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import match_decisions as store
from chalicelib.storage.itdocs.organizations import get_organization
from chalicelib.sync import match_actions
from tests.racing import at_once
from tests.sync.helpers import as_user
from tests.sync.matching_helpers import Tenant, customer, make_integration, make_tenant, sync

pytestmark = pytest.mark.ddblocal

RACERS = 8
CUSTOMERS = [str(n) for n in range(1, 5)]


@pytest.fixture
def tenant(ddb: Runtime) -> Tenant:
    made = make_tenant(ddb, ["Contoso", "Fabrikam"], integration_id="")
    made.integration_id = make_integration(ddb, made.account_id)
    sync(ddb, made, [customer(c, f"Customer Nr {c}") for c in CUSTOMERS])
    return made


def race(actions: list[Callable[[], object]]) -> list[LinkhubError]:
    """Each action in its own thread, all released at once; what they refused (any other
    error fails the test)."""
    errors = at_once(actions)
    unexpected = [e for e in errors if not isinstance(e, LinkhubError)]
    assert not unexpected, unexpected
    return [e for e in errors if isinstance(e, LinkhubError)]


def truth(rt: Runtime, tenant: Tenant) -> dict[str, set[tuple[str, str]]]:
    """Organization id -> the customers whose record says Matched to it."""
    found: dict[str, set[tuple[str, str]]] = {o: set() for o in tenant.organizations.values()}
    for record in store.matches_of_integration(tenant.integration_id):
        if record.status == store.MATCHED and record.organization_id:
            found[record.organization_id].add((record.integration_id, record.customer_id))
    return found


def listed(tenant: Tenant) -> dict[str, set[tuple[str, str]]]:
    """Organization id -> the customers its item lists as matched."""
    return {o: set(get_organization(tenant.account_id, o).matched or ())
            for o in tenant.organizations.values()}


def test_eight_racing_matches_and_unmatches_leave_each_list_equal_to_the_truth(
    ddb: Runtime, tenant: Tenant
) -> None:
    iid, orgs = tenant.integration_id, tenant.organizations
    people = [tenant.admin, tenant.manager]

    def match(n: int, name: str) -> Callable[[], object]:
        return lambda: match_actions.match_to(ddb, as_user(ddb, people[n % 2]), iid,
                                              CUSTOMERS[n % 4], orgs[name], organization_name=name)

    # two people match each customer at once, one to each organization: one of them wins
    refused = race([match(n, "Contoso" if n < 4 else "Fabrikam") for n in range(RACERS)])
    assert len(refused) == 4
    first = truth(ddb, tenant)
    assert sum(len(keys) for keys in first.values()) == 4
    assert listed(tenant) == first

    def change(n: int) -> Callable[[], object]:
        user, customer_id = as_user(ddb, people[n % 2]), CUSTOMERS[n % 4]
        now = store.get_match(iid, customer_id).organization_id
        other = orgs["Fabrikam"] if now == orgs["Contoso"] else orgs["Contoso"]
        if n < 4:
            return lambda: match_actions.unmatch(ddb, user, iid, customer_id)
        return lambda: match_actions.change_match(ddb, user, iid, customer_id, other)

    # then two people at once unmatch each customer or move it to the other organization (both
    # may succeed, one after the other)
    race([change(n) for n in range(RACERS)])
    after = truth(ddb, tenant)
    assert after != first and listed(tenant) == after


def test_a_sync_matching_while_people_unmatch_keeps_the_lists_true(
    ddb: Runtime, tenant: Tenant
) -> None:
    iid, orgs = tenant.integration_id, tenant.organizations
    for customer_id in CUSTOMERS:
        match_actions.match_to(ddb, as_user(ddb, tenant.admin), iid, customer_id,
                               orgs["Contoso"], organization_name="Contoso")
    renamed = [customer(c, "Fabrikam") for c in CUSTOMERS]  # exact name of the other

    actions: list[Callable[[], object]] = [
        lambda c=c: match_actions.unmatch(ddb, as_user(ddb, tenant.manager), iid, c)
        for c in CUSTOMERS]
    actions += [lambda: sync(ddb, tenant, renamed)] * (RACERS - len(CUSTOMERS))
    race(actions)

    assert listed(tenant) == truth(ddb, tenant)
