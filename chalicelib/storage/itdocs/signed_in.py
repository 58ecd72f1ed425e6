"""What an IT Docs page reads before its own data, in one BatchGetItem: the session, its user,
the user's account and, when the page names them, one organization and one of its contacts, or
one integration and one of its customers' match.

The ids come from the session cookie (`session_rules.hinted_token`) and the page's URL; none is
trusted alone: the caller checks the session names the user read, and that the account,
organization and contact read belong to that user's account.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.storage.base import record_of
from chalicelib.storage.itdocs.accounts import Account, ItDocsAccountModel, account_from
from chalicelib.storage.itdocs.contacts import (
    ContactRecord,
    ItDocsContactModel,
    contact_from,
    contact_key,
)
from chalicelib.storage.itdocs.integrations import (
    IntegrationModel,
    IntegrationRecord,
    integration_from,
)
from chalicelib.storage.itdocs.match_decisions import (
    CustomerMatch,
    CustomerMatchModel,
    match_from,
)
from chalicelib.storage.itdocs.organizations import (
    ItDocsOrganizationModel,
    OrganizationRecord,
    organization_from,
)
from chalicelib.storage.itdocs.sessions import ItDocsSessionModel, Session
from chalicelib.storage.itdocs.users import ItDocsUserModel, User, user_from
from chalicelib.storage.together import Wanted, read_together

_SESSION_FIELDS = list(Session.__dataclass_fields__)


@dataclass(frozen=True)
class PageRead:
    """One page's first read; None where an item does not exist (or was not asked for)."""

    session: Session | None
    user: User | None
    account: Account | None
    organization: OrganizationRecord | None = None
    contact: ContactRecord | None = None
    integration: IntegrationRecord | None = None
    customer: CustomerMatch | None = None
    customers: tuple[CustomerMatch, ...] = ()
    """Those of the integration's customers named (`PageKeys.customer_ids`) that exist."""


@dataclass(frozen=True)
class PageKeys:
    """What a page's first read names: the session, the user and account its token names, and
    what its URL names ("" for none)."""

    session_key: str
    account_id: str
    user_id: str
    organization_id: str = ""
    contact_id: str = ""
    integration_id: str = ""
    customer_id: str = ""
    customer_ids: tuple[str, ...] = ()
    """More of the integration's customers (a selection), up to MAX_CUSTOMERS."""


MAX_CUSTOMERS = 90
"""Customers a page's first read takes besides what the session needs (one BatchGetItem holds
100 items); a page reads any more itself."""

Asked = dict[str, tuple[Wanted, Callable[[Any], Any]]]


def read_signed_in(keys: PageKeys) -> PageRead:
    """The session, user and account (and the organization, contact, integration or customer
    named) in one call."""
    asked = _asked(keys)
    selected = [c for c in dict.fromkeys(keys.customer_ids) if c != keys.customer_id]
    customers = [Wanted(CustomerMatchModel, keys.integration_id, c)
                 for c in selected[:MAX_CUSTOMERS] if keys.integration_id]
    found = read_together([wanted for wanted, _ in asked.values()] + customers)
    named = found[:len(asked)]
    return PageRead(**{name: None if item is None else plain(item)
                       for (name, (_, plain)), item in zip(asked.items(), named, strict=True)},
                    customers=tuple(match_from(m)  # type: ignore[arg-type]
                                    for m in found[len(asked):] if m is not None))


def _asked(keys: PageKeys) -> Asked:
    """PageRead's field -> the item to read and how it becomes a plain record."""
    account, organization = keys.account_id, keys.organization_id
    asked: Asked = {"session": (Wanted(ItDocsSessionModel, keys.session_key), _session_from),
                    "user": (Wanted(ItDocsUserModel, keys.user_id), user_from),
                    "account": (Wanted(ItDocsAccountModel, account), account_from)}
    if organization:
        asked["organization"] = (Wanted(ItDocsOrganizationModel, account, organization),
                                 organization_from)
    if organization and keys.contact_id:
        contact = contact_key(organization, keys.contact_id)
        asked["contact"] = (Wanted(ItDocsContactModel, account, contact), contact_from)
    if keys.integration_id:
        asked["integration"] = (Wanted(IntegrationModel, keys.integration_id), integration_from)
    if keys.integration_id and keys.customer_id:
        asked["customer"] = (Wanted(CustomerMatchModel, keys.integration_id, keys.customer_id),
                             match_from)
    return asked


def _session_from(model: ItDocsSessionModel) -> Session:
    return record_of(Session, _SESSION_FIELDS, model)
