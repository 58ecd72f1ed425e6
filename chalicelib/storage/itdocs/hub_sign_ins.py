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

from chalicelib.errors import ConcurrentChange, NotFound
from chalicelib.storage.base import ttl_after
from chalicelib.storage.itdocs.accounts import (
    Account,
    ItDocsAccountModel,
    account_from,
    hub_company_marker,
)
from chalicelib.storage.itdocs.audit import AuditLine, add_line
from chalicelib.storage.itdocs.markers import ItDocsUniqueModel, itdocs_markers
from chalicelib.storage.itdocs.sessions import ItDocsSessionModel, Session
from chalicelib.storage.itdocs.users import (
    ItDocsUserModel,
    User,
    add_new_user,
    email_marker,
    find_user,
    identity_marker,
)
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


@dataclass(frozen=True)
class FirstSignIn:
    """What a hub identity's first sign-in finds in the account linked to its hub company: the
    account (its automatic creation settings) and the owner of the identity's email there."""

    account: Account | None
    email_owner: str | None


def first_sign_in(account_id: str, email_key: str) -> FirstSignIn:
    """The account and the email's marker in it, in one consistent BatchGetItem."""
    wanted = [Wanted(ItDocsAccountModel, account_id)]
    if email_key:
        wanted.append(Wanted(ItDocsUniqueModel, email_marker(account_id, email_key)))
    found = read_together(wanted)
    account = account_from(found[0]) if isinstance(found[0], ItDocsAccountModel) else None
    return FirstSignIn(account, _owner(found[1]) if email_key else None)


def create_signed_in(user: User, email_key: str, line: AuditLine, session: Session | None,
                     previous_key: str | None = None) -> bool:
    """A just-in-time user with its identity and email markers, its audit entry and (when a
    sign-in creates it) its first session, the browser's previous one ended: one transaction.
    False (nothing written) when the identity or the email was taken first."""

    def write(tx: Transaction) -> None:
        add_new_user(tx, user, email_key)
        add_line(tx, line)
        if session is not None:
            tx.save(session_item(session),
                    condition=ItDocsSessionModel.session_key.does_not_exist())
            if previous_key and previous_key != session.session_key:
                tx.delete(ItDocsSessionModel(previous_key))

    return not write_transaction(write)


def unlink_audited(account: Account, line: AuditLine) -> None:
    """Unlink the account from its hub company (its marker released, its hub fields removed)
    with the audit entry, in one transaction; NotFound when the account is gone."""
    model = ItDocsAccountModel

    def write(tx: Transaction) -> None:
        itdocs_markers.release(tx, hub_company_marker(account.hub_issuer or "",
                                                      account.hub_company_id or ""))
        tx.update(model(account.account_id), actions=[
            model.hub_issuer.remove(), model.hub_company_id.remove(),
            model.hub_company_name.remove(),
        ], condition=model.account_id.exists())
        add_line(tx, line)

    if write_transaction(write):
        raise NotFound("No such IT Docs account.")


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
