"""Partner Portal uniqueness markers (company names, usernames, emails per company).

A username's marker also carries what a login needs of its user (company, role, status, password
hash, session epoch), written in the transactions that change them, so a login by username reads
one item. An email's marker carries what Log In with Hub needs to link its user by a verified
email (company, role, status, session epoch and the email as stored, never the password hash).
Each copy is a hint, never trusted alone: the transaction that acts on it is conditional on the
user item holding the same values. Markers written before carry no copy (then the user is read as
well; `marker_backfill` copies them all once).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.storage.base import translated
from chalicelib.storage.kit import UniqueMarkers, UniqueModel
from chalicelib.storage.transactions import Transaction


class PortalUniqueModel(UniqueModel):
    """Uniqueness markers (company name, username, email per company) written with their record."""

    class Meta:
        logical_name = "portal_unique"
        table_name = "portal_unique"

    # A username's marker only: its user's login fields (absent on markers written before).
    company_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute(null=True)
    session_epoch = NumberAttribute(null=True)
    # An email's marker only (with company_id, role, status, session_epoch): the email as stored.
    email = UnicodeAttribute(null=True)


portal_markers = UniqueMarkers(PortalUniqueModel)


@dataclass(frozen=True)
class LoginFields:
    """What a login needs of a user: who, where, in which role and status, the password hash,
    and the session epoch a new session is stamped with."""

    user_id: str
    company_id: str
    role: str
    status: str
    password_hash: str | None
    session_epoch: int = 0


@dataclass(frozen=True)
class UsernameMarker:
    """A username's marker as read: its owner, and the owner's login fields when it has them."""

    owner_id: str
    fields: LoginFields | None


def username_marker(username_key: str) -> str:
    """The marker key of a username (unique across every partner company)."""
    return f"username#{username_key}"


def _copy(fields: LoginFields) -> dict[str, object]:
    """The marker attributes that carry the login fields (the owner is the user id)."""
    return {"company_id": fields.company_id, "role": fields.role, "status": fields.status,
            "password_hash": fields.password_hash, "session_epoch": fields.session_epoch}


def claim_username(tx: Transaction, username_key: str, fields: LoginFields) -> None:
    """Write a new username's marker with its user's login fields, if nobody holds it yet."""
    _claim(tx, username_marker(username_key), fields.user_id, _copy(fields))


def _claim(tx: Transaction, key: str, owner_id: str, copy: dict[str, object]) -> None:
    """Write a new marker owned by `owner_id` and carrying `copy`, if nobody holds it yet."""
    marker = PortalUniqueModel(key, owner_id=owner_id)
    for name, value in copy.items():
        setattr(marker, name, value)
    tx.save(marker, condition=PortalUniqueModel.key.does_not_exist())


def copy_fields(tx: Transaction, username_key: str, fields: LoginFields) -> None:
    """Write the user's login fields onto their username's marker (only while theirs)."""
    m = PortalUniqueModel
    tx.update(m(username_marker(username_key)),
              actions=[getattr(m, name).set(value) if value is not None
                       else getattr(m, name).remove() for name, value in _copy(fields).items()],
              condition=m.owner_id == fields.user_id)


def read_username(username_key: str) -> UsernameMarker | None:
    """A username's marker (one consistent GetItem), None when nobody holds it."""
    try:
        with translated():
            found = PortalUniqueModel.get(username_marker(username_key), consistent_read=True)
    except PortalUniqueModel.DoesNotExist:
        return None
    return UsernameMarker(str(found.owner_id), _fields_of(found))


def _fields_of(m: PortalUniqueModel) -> LoginFields | None:
    """The login fields a marker carries, None when it carries none (a company's, an email's,
    or a username's written before the copy was kept)."""
    if m.company_id is None or m.role is None or m.status is None:
        return None  # written before the copy was kept
    return LoginFields(user_id=str(m.owner_id), company_id=m.company_id, role=m.role,
                       status=m.status, password_hash=m.password_hash,
                       session_epoch=int(m.session_epoch or 0))


@dataclass(frozen=True)
class EmailCopy:
    """What an email's marker carries of its user: enough to decide a link by a verified email
    and to start the user's session, checked against the user item in that same transaction."""

    user_id: str
    company_id: str
    role: str
    status: str
    session_epoch: int
    email: str


def email_marker(company_id: str, email_key: str) -> str:
    """The marker key of an email in a company (unique there)."""
    return f"email#{company_id}#{email_key}"


def _email_copy(copy: EmailCopy) -> dict[str, object]:
    return {"company_id": copy.company_id, "role": copy.role, "status": copy.status,
            "session_epoch": copy.session_epoch, "email": copy.email}


def claim_email(tx: Transaction, email_key: str, copy: EmailCopy) -> None:
    """Write a new email's marker in its user's company with the copy, if nobody holds it yet."""
    _claim(tx, email_marker(copy.company_id, email_key), copy.user_id, _email_copy(copy))


def copy_to_email(tx: Transaction, email_key: str, copy: EmailCopy) -> None:
    """Write the user's copy onto their email's marker (only while theirs)."""
    m = PortalUniqueModel
    tx.update(m(email_marker(copy.company_id, email_key)),
              actions=[getattr(m, name).set(value) for name, value in _email_copy(copy).items()],
              condition=m.owner_id == copy.user_id)


def email_copy_of(m: PortalUniqueModel) -> EmailCopy | None:
    """The copy an email's marker carries, None when it carries none (written before)."""
    if None in (m.company_id, m.role, m.status, m.email):
        return None
    return EmailCopy(user_id=str(m.owner_id), company_id=str(m.company_id), role=str(m.role),
                     status=str(m.status), session_epoch=int(m.session_epoch or 0),
                     email=str(m.email))
