"""The hub identities portal users are linked to: two markers per linked user, written together.

`sub#<issuer>#<subject>#<company>` (one portal user per hub identity and company: the JIT race is
decided here) and `user#<user_id>` (one hub identity per portal user). The `sub#` items carry
`subject_key` (index by_subject), the `user#` items `company_id` (index by_company). With them,
in the same transaction, the identity's own item `links#<issuer>#<subject>` lists every
`<company>#<user>` it is linked to, so a Log In with Hub callback reads its links by key. An
identity linked before that item was kept has none until its next link or the one-off upgrade
`hub_link_backfill`; the callback then finds its `sub#` markers by key in its first-time read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.errors import AlreadyExists
from chalicelib.storage.base import translated
from chalicelib.storage.portal.audit import NewAuditEntry, add_audit_in
from chalicelib.storage.portal.sessions import PortalSession, PortalSessionModel, portal_sessions
from chalicelib.storage.portal.users import PortalUser, add_new_user
from chalicelib.storage.transactions import Transaction, write_transaction


class IdentityBySubject(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_subject"
        projection = AllProjection()

    subject_key = UnicodeAttribute(hash_key=True)


class IdentityByCompany(GlobalSecondaryIndex):  # type: ignore[type-arg]
    class Meta:
        index_name = "by_company"
        projection = AllProjection()

    company_id = UnicodeAttribute(hash_key=True)


class PortalHubIdentityModel(Model):
    class Meta:
        logical_name = "portal_hub_identities"
        table_name = "portal_hub_identities"

    link_key = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    issuer = UnicodeAttribute()
    subject = UnicodeAttribute()
    linked_at = UTCDateTimeAttribute()
    subject_key = UnicodeAttribute(null=True)  # on sub# markers only
    company_id = UnicodeAttribute(null=True)  # on user# markers only
    member_company_id = UnicodeAttribute(null=True)  # on sub# markers: the user's company
    last_hub_login_at = UTCDateTimeAttribute(null=True)
    links = UnicodeSetAttribute(null=True)  # on links# items only: <company>#<user> of each link
    by_subject = IdentityBySubject()
    by_company = IdentityByCompany()


@dataclass
class HubIdentityLink:
    user_id: str
    company_id: str
    issuer: str
    subject: str
    linked_at: dt.datetime
    last_hub_login_at: dt.datetime | None = None


def subject_marker(issuer: str, subject: str, company_id: str) -> str:
    """The key of the marker linking a hub identity to one portal user of a company."""
    return f"sub#{issuer}#{subject}#{company_id}"


def _subject_key(issuer: str, subject: str) -> str:
    return f"{issuer}#{subject}"


def links_key(issuer: str, subject: str) -> str:
    """The key of a hub identity's own item, which lists every portal user it is linked to."""
    return f"links#{issuer}#{subject}"


def links_of(m: PortalHubIdentityModel | None) -> list[tuple[str, str]] | None:
    """(user id, company id) of each link an identity's item lists (read elsewhere, e.g. with a
    callback's first read); None when the identity has no item yet."""
    if m is None:
        return None
    pairs = (entry.split("#", 1) for entry in sorted(m.links or ()))
    return [(user_id, company_id) for company_id, user_id in pairs]


def add_link_in(tx: Transaction, user_id: str, company_id: str, issuer: str, subject: str,
                now: dt.datetime) -> None:
    """Both markers in `tx`, each only if new (a taken one fails its condition: the first two
    items added), and the link on the identity's own item."""
    for marker in identity_markers(user_id, company_id, issuer, subject, now):
        tx.save(marker, condition=PortalHubIdentityModel.link_key.does_not_exist())
    m = PortalHubIdentityModel
    tx.update(m(links_key(issuer, subject)),
              actions=[m.issuer.set(issuer), m.subject.set(subject),
                       m.links.add({f"{company_id}#{user_id}"})])


def identity_markers(user_id: str, company_id: str, issuer: str, subject: str,
             now: dt.datetime) -> list[PortalHubIdentityModel]:
    """The two markers linking a user to a hub identity (each written only if new)."""
    return [
        PortalHubIdentityModel(subject_marker(issuer, subject, company_id), user_id=user_id,
                               issuer=issuer, subject=subject, linked_at=now,
                               subject_key=_subject_key(issuer, subject),
                               member_company_id=company_id),
        PortalHubIdentityModel(f"user#{user_id}", user_id=user_id, issuer=issuer,
                               subject=subject, linked_at=now, company_id=company_id,
                               last_hub_login_at=now),
    ]


def owner_of_identity(issuer: str, subject: str, company_id: str) -> str | None:
    """The portal user this hub identity is linked to in a company (consistent read)."""
    try:
        with translated():
            return str(PortalHubIdentityModel.get(subject_marker(issuer, subject, company_id),
                                                  consistent_read=True).user_id)
    except PortalHubIdentityModel.DoesNotExist:
        return None


def users_linked_to_subject(issuer: str, subject: str) -> list[tuple[str, str]]:
    """(user id, company id) of every portal user linked to this hub identity (index query)."""
    with translated():
        return [(m.user_id, m.member_company_id or "")
                for m in PortalHubIdentityModel.by_subject.query(_subject_key(issuer, subject))]


def identity_of_user(user_id: str) -> HubIdentityLink | None:
    try:
        with translated():
            m = PortalHubIdentityModel.get(f"user#{user_id}")
    except PortalHubIdentityModel.DoesNotExist:
        return None
    return HubIdentityLink(m.user_id, m.company_id or "", m.issuer, m.subject, m.linked_at,
                           m.last_hub_login_at)


def identities_of_company(company_id: str) -> list[HubIdentityLink]:
    """Every linked user of a partner company (index query): who has signed in with the hub."""
    with translated():
        return [HubIdentityLink(m.user_id, m.company_id or "", m.issuer, m.subject, m.linked_at,
                                m.last_hub_login_at)
                for m in PortalHubIdentityModel.by_company.query(company_id)]


def link_identity(user_id: str, company_id: str, issuer: str, subject: str,
                  now: dt.datetime) -> None:
    """Both markers or neither; AlreadyExists when the identity or the user is linked already."""

    def write(tx: Transaction) -> None:
        add_link_in(tx, user_id, company_id, issuer, subject, now)

    if write_transaction(write):
        raise AlreadyExists("This hub account or portal user is linked already.")


def create_user_with_identity(user: PortalUser, username_key: str, email_key: str, *,
                              issuer: str, subject: str, now: dt.datetime,
                              audit: NewAuditEntry | None = None,
                              session: PortalSession | None = None,
                              previous_key: str | None = None) -> str:
    """Create a user already linked to a hub identity, with its audit entry and (for a sign-in)
    its first session, the browser's previous one ended, all in one transaction.

    Returns "created", or why it failed: "identity" (another request linked this hub identity in
    this company first: the JIT race) or "taken" (the username or email marker is taken).
    """

    def write(tx: Transaction) -> None:
        # The identity markers first: whoever writes them creates the user; the rest lose here.
        add_link_in(tx, user.user_id, user.company_id, issuer, subject, now)
        add_new_user(tx, user, username_key, email_key)
        if audit is not None:
            add_audit_in(tx, audit)
        if session is not None:
            tx.save(portal_sessions.model_of(session),
                    condition=PortalSessionModel.session_key.does_not_exist())
            if previous_key and previous_key != session.session_key:
                tx.delete(PortalSessionModel(previous_key))

    failed = write_transaction(write)
    if not failed:
        return "created"
    return "identity" if min(failed) < 2 else "taken"


def record_hub_login(user_id: str, now: dt.datetime) -> None:
    with translated():
        PortalHubIdentityModel(f"user#{user_id}").update(
            actions=[PortalHubIdentityModel.last_hub_login_at.set(now)],
            condition=PortalHubIdentityModel.link_key.exists(),
        )


def unlink_user(user_id: str) -> None:
    """Forget a user's hub identity (both markers); nothing happens when there is none."""
    link = identity_of_user(user_id)
    if link is None:
        return

    def write(tx: Transaction) -> None:
        m = PortalHubIdentityModel
        tx.delete(m(subject_marker(link.issuer, link.subject, link.company_id)))
        tx.delete(m(f"user#{user_id}"))
        tx.update(m(links_key(link.issuer, link.subject)),
                  actions=[m.links.delete({f"{link.company_id}#{user_id}"})])

    write_transaction(write)
