"""An IT Docs account as its Administrator sees every page of it: organizations, a synced
integration with matched, unmatched and ignored customers, a contact whose email is a protected
seat, a sync log, a second user and an API key (the call-budget tests' world)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from chalicelib.itdocs import accounts, api_keys, contacts
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.itdocs.policy import READ_ONLY
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import match_decisions as match_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.storage.itdocs.backup_customers import BackupCustomer
from chalicelib.storage.itdocs.backup_seats import BackupSeat
from chalicelib.storage.itdocs.sync_logs import SyncLogEntry
from chalicelib.storage.itdocs.users import User, get_user
from tests.sync.matching_helpers import customer, make_integration, make_tenant, sync

FEW, MANY = 3, 40
SEAT_EMAIL = "ada@contoso.example"


@dataclass
class World:
    """An account as its Administrator sees it: organizations, a synced integration, a contact
    whose email is a protected seat, a sync log, a second user and an API key."""

    values: dict[str, str]

    def fill(self, text: str) -> str:
        return text.format(**self.values)


def seed_world(rt: Runtime, organizations: int) -> World:
    names = ["Contoso", "Fabrikam, Inc."] + [f"Org {n:03d}" for n in range(organizations - 2)]
    tenant = make_tenant(rt, names, integration_id="")
    tenant.integration_id = make_integration(rt, tenant.account_id)
    sync(rt, tenant, [customer("1", "Contoso"), customer("2", "Fabrikam Inc"),
                      customer("3", "Tailspin Toys"), customer("4", "Ignored Co")])
    integration_id = tenant.integration_id
    record = match_store.get_match(integration_id, "4")
    match_store.write_reconciled([_replace_status(record, match_store.IGNORED)])
    _store_backup(tenant.account_id, integration_id)
    admin = ItDocsUser.of(tenant.admin)
    contact = contacts.create(rt, admin, tenant.organizations["Contoso"],
                              ContactDetails("Ada", [SEAT_EMAIL]))
    reader = accounts.create_user(rt, tenant.account_id, email="reader@example.com",
                                  name="Reader", role=READ_ONLY)
    key = api_keys.create(rt, admin, "tests")
    now = rt.clock.now()
    log_store.put_log(SyncLogEntry(integration_id, tenant.account_id, "run1", "manual",
                                   now - dt.timedelta(hours=1), now, 4, 1, 1, 5, "OK"))
    return World({"organization": tenant.organizations["Contoso"],
                  "other": tenant.organizations["Fabrikam, Inc."], "contact": contact.contact_id,
                  "integration": integration_id, "matched": "1", "unmatched": "2",
                  "ignored": "4", "reader": reader.user_id, "key_id": key.key.key_id,
                  "api_key": key.presented, "user": tenant.admin.user_id})


def _replace_status(record: match_store.CustomerMatch, status: str) -> match_store.CustomerMatch:
    return dataclasses.replace(record, status=status, version=record.version + 1)


def _store_backup(account_id: str, integration_id: str) -> None:
    customer_store.write_customers([BackupCustomer(
        integration_id, "1", account_id, "Contoso", "Contoso", "c1.example.com", "Microsoft 365",
        3, 4, 4, 100.0, 2, {"Active": 2, "Paused": 1}, {"Exchange": 2})])
    seat_store.write_seats(integration_id, "1", [BackupSeat(
        "s1", SEAT_EMAIL, "Ada", "User", "Active", "true", "2026-01-01")])


def admin_of(world: World) -> User:
    return get_user(world.values["user"])
