"""Matching test helpers: an IT Docs account with users, organizations, an integration, a sync."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from chalicelib.itdocs import accounts, organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR, MANAGER
from chalicelib.matching.names import exact_key
from chalicelib.matching.reconcile import ReconcileOutcome, SyncedCustomer
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import organizations as organization_store
from chalicelib.storage.itdocs.organizations import OrganizationRecord
from chalicelib.storage.itdocs.users import User
from chalicelib.sync.decisions import reconcile


@dataclass
class Tenant:
    """An IT Docs account with one user per role, its organizations and one integration."""

    account_id: str
    admin: User
    manager: User
    editor: User
    integration_id: str
    organizations: dict[str, str] = field(default_factory=dict)
    """name -> organization id"""


def suffix() -> str:
    return uuid.uuid4().hex[:8]


def store_organizations(rt: Runtime, account_id: str,
                        named: Iterable[tuple[str, str]]) -> None:
    """Store organizations with the given (id, name), as a sync's directory lists them: a match
    is written only to an organization that exists."""
    now = rt.clock.now()
    for organization_id, name in named:
        organization_store.create_organization(
            OrganizationRecord(organization_id, account_id, name, now, now), exact_key(name))


def make_tenant(rt: Runtime, organization_names: list[str], integration_id: str) -> Tenant:
    account = accounts.create_account(rt, f"MSP {suffix()}")
    users = {
        role: accounts.create_user(
            rt,
            account.account_id,
            email=f"{role.lower()}-{suffix()}@example.com",
            name=f"{role} Person",
            role=role,
        )
        for role in (ADMINISTRATOR, MANAGER, EDITOR)
    }
    tenant = Tenant(
        account_id=account.account_id,
        admin=users[ADMINISTRATOR],
        manager=users[MANAGER],
        editor=users[EDITOR],
        integration_id=integration_id,
    )
    for name in organization_names:
        created = organizations.create(rt, ItDocsUser.of(tenant.admin), name)
        tenant.organizations[name] = created.organization_id
    return tenant


def make_integration(rt: Runtime, account_id: str, *, accept_automatically: bool = False,
                     integration_id: str | None = None) -> str:
    """An integration as Connect leaves it (stored directly: these tests are not about Connect)."""
    now = rt.clock.now()
    integration_id = integration_id or rt.random.hex(8)
    integration_store.create_integration(
        integration_store.IntegrationRecord(
            integration_id=integration_id,
            account_id=account_id,
            public_key=f"pk-{suffix()}",
            secret_key=rt.box.encrypt(b"not-used", "tests"),
            base_url=rt.settings.base_url + "/api/v1",
            sync_enabled=True,
            accept_automatically=accept_automatically,
            connected_at=now,
            connected_by="setup",
            last_outcome="Never synced",
        )
    )
    return integration_id


def customer(customer_id: str, name: str) -> SyncedCustomer:
    return SyncedCustomer(customer_id, name, f"c{customer_id}.example.com", "Microsoft 365")


def sync(
    rt: Runtime, tenant: Tenant, customers: list[SyncedCustomer], *, auto: bool = False
) -> ReconcileOutcome:
    """What the sync engine does with the customers it fetched."""
    return reconcile(
        rt,
        account_id=tenant.account_id,
        integration_id=tenant.integration_id,
        customers=customers,
        organizations=organizations.list_all(rt, ItDocsUser.of(tenant.admin)),
        accept_automatically=auto,
        now=rt.clock.now(),
    )
