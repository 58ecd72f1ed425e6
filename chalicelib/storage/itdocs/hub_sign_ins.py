"""An IT Docs Log In with Hub's own reads and writes, batched: the linked user in two calls, the
sign-in's writes in one transaction.

The hub identity's marker names its user and the hub company's marker names the account linked
to it; both are read together (one consistent BatchGetItem), then the user. The session and the
user's last login are written all or none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from chalicelib.errors import ConcurrentChange
from chalicelib.storage.base import ttl_after
from chalicelib.storage.itdocs.accounts import hub_company_marker
from chalicelib.storage.itdocs.markers import ItDocsUniqueModel
from chalicelib.storage.itdocs.sessions import ItDocsSessionModel, Session
from chalicelib.storage.itdocs.users import ItDocsUserModel, User, find_user, identity_marker
from chalicelib.storage.together import Wanted, read_together
from chalicelib.storage.transactions import Transaction, write_transaction


@dataclass(frozen=True)
class HubLinks:
    """Who the hub identity's marker names, and which account its hub company's marker names."""

    user_id: str | None
    account_id: str | None


def hub_links(issuer: str, subject: str, hub_company_id: str) -> HubLinks:
    """Both markers in one consistent BatchGetItem."""
    identity, company = read_together([
        Wanted(ItDocsUniqueModel, identity_marker(issuer, subject)),
        Wanted(ItDocsUniqueModel, hub_company_marker(issuer, hub_company_id)),
    ])
    return HubLinks(_owner(identity), _owner(company))


def _owner(marker: object) -> str | None:
    return str(marker.owner_id) if isinstance(marker, ItDocsUniqueModel) else None


def linked_user(links: HubLinks) -> User | None:
    """The user the identity is linked to, when their account is the one linked to its hub
    company (None otherwise): one read of the user."""
    if links.user_id is None or links.account_id is None:
        return None
    user = find_user(links.user_id)
    return user if user is not None and user.account_id == links.account_id else None


def session_item(session: Session) -> ItDocsSessionModel:
    """The session as the session table stores it (for a transaction's put)."""
    values = dataclasses.asdict(session)
    values["hub_sid"] = values["hub_sid"] or None  # the index takes no empty keys
    return ItDocsSessionModel(expires_ttl=ttl_after(values["expires_at"], 0), **values)


def start_hub_session(session: Session, now: dt.datetime, previous_key: str | None = None) -> None:
    """A hub sign-in's writes in one TransactWriteItems: the user's last login, the new session,
    the browser's previous one ended. ConcurrentChange (nothing written) when the user is gone
    meanwhile or the session id is taken."""
    user = ItDocsUserModel

    def write(tx: Transaction) -> None:
        tx.update(user(session.user_id), actions=[user.last_login_at.set(now)],
                  condition=user.user_id.exists())
        tx.save(session_item(session), condition=ItDocsSessionModel.session_key.does_not_exist())
        if previous_key and previous_key != session.session_key:
            tx.delete(ItDocsSessionModel(previous_key))

    if write_transaction(write):
        raise ConcurrentChange("The account changed while signing in. Please try again.")
