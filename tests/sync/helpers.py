"""Sync test helpers: a portal partner served in-process, an IT Docs account and its integration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from chalicelib.itdocs import acting, organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.acting import SyncUser
from chalicelib.outbound import HttpResponse
from chalicelib.portal import catalog
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.users import User
from chalicelib.sync import integrations
from chalicelib.sync.integrations import Integration
from tests.fakes import use_sleep, use_transport
from tests.itdocs.helpers import setup_admin
from tests.loopback import LoopbackTransport
from tests.portal.helpers import Partner, make_partner

# (product, seats, linked to a portal organization?)
CUSTOMERS = ((catalog.OFFICE365, 6, True), (catalog.GOOGLE_WORKSPACE, 4, True),
             (catalog.OFFICE365, 3, False))


@dataclass
class Setup:
    rt: Runtime
    partner: Partner
    account_id: str
    transport: LoopbackTransport
    integration: Integration
    admin: SyncUser
    """the sync acting for an explicit Administrator of the account"""
    organization_ids: dict[str, str] = field(default_factory=dict)
    """portal organization name -> IT Docs organization id"""


def as_admin(rt: Runtime, account_id: str) -> SyncUser:
    """The sync acting for an explicit Administrator of the account, recorded as "tests"."""
    return acting.for_page(rt, setup_admin(account_id))


def as_user(rt: Runtime, user: User) -> SyncUser:
    """The sync acting for a stored IT Docs user, as their signed-in page would."""
    return acting.for_page(rt, ItDocsUser.of(user))


def serve_portal(rt: Runtime) -> LoopbackTransport:
    """The app's own REST API as the remote end, and back-off that does not wait."""
    from app import app

    transport = LoopbackTransport(app, rt.settings.base_url)
    use_transport(rt, transport)
    use_sleep(rt, lambda seconds: None)
    return transport


def connected(rt: Runtime, customers: tuple[tuple[str, int, bool], ...] = CUSTOMERS,
              *, enable: bool = True) -> Setup:
    """A partner, an IT Docs account whose organizations match its linked customers' names."""
    transport = serve_portal(rt)
    partner = make_partner(customers=customers)
    account_id = f"acct-{uuid.uuid4().hex[:10]}"
    admin = as_admin(rt, account_id)
    organization_ids = {
        org.name: organizations.create(rt, admin.user, org.name).organization_id
        for org in partner.organizations
    }
    integration = integrations.connect(rt, admin, public_key=partner.public_key,
                                       secret_key=partner.secret)
    if enable:
        integration = integrations.update(rt, admin, integration.integration_id,
                                          sync_enabled=True, accept_automatically=False)
    return Setup(rt, partner, account_id, transport, integration, admin, organization_ids)


def seat_requests(transport: LoopbackTransport) -> list[str]:
    """The seat lists asked for, without their query (`_page`, `_perPage`)."""
    paths = [path.split("?")[0] for method, path in transport.requests]
    return [path for path in paths if path.endswith("/seats")]


class FailingTransport:
    """Wraps a transport: requests whose path matches `when` get `answer` (or raise it)."""

    def __init__(self, inner: object, when: str, answer: HttpResponse | BaseException,
                 times: int = 1000) -> None:
        self.inner = inner
        self.when = when
        self.answer = answer
        self.times = times
        self.hits = 0

    def request(self, method: str, url: str, **kwargs: object) -> HttpResponse:
        if self.when in url and self.hits < self.times:
            self.hits += 1
            if isinstance(self.answer, BaseException):
                raise self.answer
            return self.answer
        return self.inner.request(method, url, **kwargs)  # type: ignore[attr-defined, no-any-return]
