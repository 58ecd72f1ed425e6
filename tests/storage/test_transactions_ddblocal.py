"""Throttled, conflicting and unanswered transactions on DynamoDB Local, faults injected through
botocore's event hooks: the user sees "temporarily unavailable" (503 with Retry-After), never
"already exists", "no account" or a bare 500, nothing is half-written, and the same action works
once DynamoDB serves again. A conflict is written again; only a failed condition is "taken"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib.errors import AlreadyExists, StorageUnavailable
from chalicelib.itdocs import accounts as itdocs_accounts
from chalicelib.itdocs import organizations
from chalicelib.itdocs.policy import READ_ONLY
from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import SECURITY_ADMIN, TECHNICIAN
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs import users as itdocs_user_store
from chalicelib.storage.portal import companies as company_store
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.markers import PortalUniqueModel, portal_markers
from chalicelib.storage.transactions import CONFLICT_PAUSES, Transaction, write_transaction
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.auth.sso.helpers import link_directly, path_of, use_loopback
from tests.conftest import unique
from tests.itdocs.helpers import actor, make_account, make_user
from tests.portal.helpers import log_in as portal_log_in
from tests.portal.helpers import make_user as make_portal_user
from tests.web_client import Reply, WebClient

pytestmark = pytest.mark.ddblocal

THROTTLED = {"Code": "ThrottlingError", "Message": "Throughput exceeds the current capacity."}
CONFLICT = {"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}


@dataclass
class _Answer:
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """Answers the calls of `operation` that touch `table` as DynamoDB does under stress, for
    the first `times` such calls (None: all); counts every matching call."""

    operation: str
    table: str
    error: dict[str, Any] | None = None
    reasons: list[dict[str, str]] | None = None
    unreachable: bool = False
    times: int | None = None
    seen: int = 0

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        if self.table.encode() not in params.get("body", b""):
            return None
        self.seen += 1
        if self.times is not None and self.seen > self.times:
            return None
        if self.unreachable:
            raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")
        parsed: dict[str, Any] = {"Error": self.error or {}, "ResponseMetadata": {}}
        if self.reasons is not None:
            parsed["CancellationReasons"] = self.reasons
        return _Answer(400), parsed


def cancelled(*reasons: dict[str, str]) -> dict[str, Any]:
    return {"error": {"Code": "TransactionCanceledException",
                      "Message": "Transaction cancelled, please refer cancellation reasons"},
            "reasons": [*reasons, {"Code": "None"}]}


@pytest.fixture
def inject(ddb: Runtime) -> Iterator[Any]:
    """Register faults on the one botocore client every model and transaction uses."""
    client = tables.connection().client
    registered: list[tuple[str, Fault]] = []

    def add(fault: Fault) -> Fault:
        event = f"before-call.dynamodb.{fault.operation}"
        client.meta.events.register_first(event, fault)
        registered.append((event, fault))
        return fault

    yield add
    for event, fault in registered:
        client.meta.events.unregister(event, fault)


def assert_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply
    assert reply.headers.get("retry-after") == "5"
    assert "temporarily unavailable" in reply.text


# --------------------------------------------------------------------------------------------------
# Partner Portal


def _hub_and_partner(rt: Runtime) -> tuple[Any, Any, Any]:
    use_loopback()
    hub = make_hub_account(company_name=unique("Throttle Hub"), username="sam")
    partner = companies.create_company(rt, unique("Throttle Partner"))
    admin = make_portal_user(partner, username=f"sa-{uuid.uuid4().hex[:8]}",
                             email=f"sa-{uuid.uuid4().hex[:8]}@example.com")
    link_directly(partner.company_id, hub.company)
    security_settings.set_auto_create(rt, admin, True, TECHNICIAN)
    return hub, partner, admin


def _portal_callback(browser: WebClient) -> str:
    """Log In with Hub as far as the portal's callback; its path (not yet requested)."""
    reply = browser.get("/portal/sso/start?next=/portal/")
    reply = browser.get(path_of(reply.location))
    assert reply.status == 303 and "/portal/sso/callback" in reply.location, reply
    return path_of(reply.location)


def test_a_throttled_first_login_to_the_portal_is_unavailable_and_creates_no_one(
    ddb: Runtime, ddb_client: WebClient, inject: Any
) -> None:
    hub, partner, _ = _hub_and_partner(ddb)
    newcomer = make_hub_account(username=f"nina{uuid.uuid4().hex[:6]}", role="User",
                                company=hub.company)
    hub_log_in(ddb_client, newcomer)
    fault = inject(Fault("TransactWriteItems", "portal_hub_identities", **cancelled(THROTTLED)))

    assert_unavailable(ddb_client.get(_portal_callback(ddb_client)))

    assert fault.seen == 1  # throttling is not retried at once: the person tries again later
    assert [u for u in portal_store.users_of_company(partner.company_id)
            if u.email == newcomer.user.email] == []
    assert identity_store.users_linked_to_subject(ddb.settings.hub_issuer,
                                                  newcomer.user.user_id) == []
    fault.times = 0  # DynamoDB serves again: the same login creates the user, once
    reply = ddb_client.get(_portal_callback(ddb_client))
    assert reply.status == 303 and reply.location == "/portal/", reply
    created = [u for u in portal_store.users_of_company(partner.company_id)
               if u.email == newcomer.user.email]
    assert len(created) == 1 and created[0].role == TECHNICIAN


def test_a_throttled_status_change_in_the_portal_is_unavailable_and_changes_nothing(
    ddb: Runtime, ddb_client: WebClient, inject: Any
) -> None:
    partner = companies.create_company(ddb, unique("Status Partner"))
    admin = make_portal_user(partner, username=f"sa-{uuid.uuid4().hex[:8]}")
    target = make_portal_user(partner, username=f"tech-{uuid.uuid4().hex[:8]}",
                              role=SECURITY_ADMIN)
    assert portal_log_in(ddb_client, admin.username).status == 303
    ddb_client.get("/portal/admin/users")
    inject(Fault("TransactWriteItems", "portal_users", **cancelled(THROTTLED)))

    reply = ddb_client.post(f"/portal/admin/users/{target.user_id}", {"action": "deactivate"})

    assert_unavailable(reply)
    assert portal_store.get_user(target.user_id).status == "active"
    assert target.user_id in (company_store.get_company(partner.company_id).security_admins
                              or frozenset())


def test_a_throttled_read_is_unavailable_with_retry_after_not_a_500(
    ddb: Runtime, ddb_client: WebClient, inject: Any
) -> None:
    partner = companies.create_company(ddb, unique("Read Partner"))
    admin = make_portal_user(partner, username=f"sa-{uuid.uuid4().hex[:8]}")
    assert portal_log_in(ddb_client, admin.username).status == 303
    # A page reads its session, user and settings in one BatchGetItem (issue 17).
    inject(Fault("BatchGetItem", "portal_users",
                 error={"Code": "ProvisionedThroughputExceededException",
                        "Message": "The level of configured provisioned throughput was exceeded"}))

    assert_unavailable(ddb_client.get("/portal/admin/users"))


# --------------------------------------------------------------------------------------------------
# IT Docs


def test_a_throttled_create_user_in_itdocs_is_unavailable_not_already_exists(
    ddb: Runtime, inject: Any
) -> None:
    account = make_account(unique("Throttle Docs"))
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    inject(Fault("TransactWriteItems", "itdocs_users", times=1, **cancelled(THROTTLED)))

    with pytest.raises(StorageUnavailable):
        itdocs_accounts.create_user(ddb, account.account_id, email=email, name="New",
                                    role=READ_ONLY)

    assert itdocs_user_store.user_by_email(account.account_id, email.lower()) is None
    created = itdocs_accounts.create_user(ddb, account.account_id, email=email, name="New",
                                          role=READ_ONLY)
    assert itdocs_user_store.user_by_email(account.account_id, email.lower()) == created
    with pytest.raises(AlreadyExists):  # only a taken email is "already exists"
        itdocs_accounts.create_user(ddb, account.account_id, email=email, name="Again",
                                    role=READ_ONLY)


def test_a_throttled_first_login_to_itdocs_is_unavailable_not_no_account(
    ddb: Runtime, ddb_client: WebClient, inject: Any
) -> None:
    use_loopback()
    hub = make_hub_account(company_name=unique("Docs Hub"), username="sam")
    account = make_account(unique("Docs"), hub_issuer=ddb.settings.hub_issuer,
                           hub_company_id=hub.company.company_id,
                           hub_company_name=hub.company.name, jit_enabled=True)
    newcomer = make_hub_account(username=f"olga{uuid.uuid4().hex[:6]}", role="User",
                                company=hub.company)
    hub_log_in(ddb_client, newcomer)
    fault = inject(Fault("TransactWriteItems", "itdocs_users", **cancelled(THROTTLED)))

    reply = ddb_client.get(_itdocs_callback(ddb_client))

    assert_unavailable(reply)
    assert "do not have an account" not in reply.text
    assert itdocs_user_store.user_by_identity(ddb.settings.hub_issuer,
                                              newcomer.user.user_id) is None
    fault.times = 0
    reply = ddb_client.get(_itdocs_callback(ddb_client))
    assert reply.status == 303 and reply.location == "/itdocs/", reply
    created = itdocs_user_store.user_by_identity(ddb.settings.hub_issuer, newcomer.user.user_id)
    assert created is not None and created.account_id == account.account_id


def _itdocs_callback(browser: WebClient) -> str:
    reply = browser.get("/itdocs/sso/start?next=/itdocs/")
    reply = browser.get(path_of(reply.location))
    assert reply.status == 303 and "/itdocs/sso/callback" in reply.location, reply
    return path_of(reply.location)


# --------------------------------------------------------------------------------------------------
# Conflicts, no answer, and which item failed


def test_a_conflicting_transaction_is_written_again_and_lands_once(
    ddb: Runtime, inject: Any
) -> None:
    account = make_account(unique("Conflict Docs"))
    editor = actor(make_user(account))
    fault = inject(Fault("TransactWriteItems", "itdocs_organizations", times=2,
                         **cancelled(CONFLICT)))

    created = organizations.create(ddb, editor, "Contoso Conflict")

    assert fault.seen == 3
    assert [o.name for o in organizations.list_all(ddb, editor)] == ["Contoso Conflict"]
    assert created.organization_id == organizations.list_all(ddb, editor)[0].organization_id


def test_a_transaction_that_keeps_conflicting_is_unavailable_and_writes_nothing(
    ddb: Runtime, inject: Any
) -> None:
    account = make_account(unique("Busy Docs"))
    editor = actor(make_user(account))
    fault = inject(Fault("TransactWriteItems", "itdocs_organizations", **cancelled(CONFLICT)))

    with pytest.raises(StorageUnavailable):
        organizations.create(ddb, editor, "Fabrikam Busy")

    assert fault.seen == len(CONFLICT_PAUSES) + 1
    assert organizations.list_all(ddb, editor) == []
    assert organization_store.organization_by_name_key(account.account_id, "fabrikam busy") is None


def test_a_transaction_that_gets_no_answer_is_unavailable(ddb: Runtime, inject: Any) -> None:
    partner = companies.create_company(ddb, unique("Unreachable Partner"))
    inject(Fault("TransactWriteItems", "portal_users", unreachable=True))

    with pytest.raises(StorageUnavailable):
        make_portal_user(partner, username=f"u-{uuid.uuid4().hex[:8]}")


def test_the_failed_items_are_named_in_the_order_they_were_added(ddb: Runtime) -> None:
    """PynamoDB sends puts before updates; the positions returned are the caller's."""
    held = f"held-{uuid.uuid4().hex}"
    assert not write_transaction(lambda tx: portal_markers.claim(tx, held, "first"))
    free = f"free-{uuid.uuid4().hex}"

    def write(tx: Transaction) -> None:
        tx.update(PortalUniqueModel(free), actions=[PortalUniqueModel.owner_id.set("x")])
        portal_markers.claim(tx, held, "second")

    assert write_transaction(write) == frozenset({1})
    assert portal_markers.owner(held) == "first" and portal_markers.owner(free) is None
