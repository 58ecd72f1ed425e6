"""Login fields for username and email markers written before they carried them.

A login by username reads the marker only when it carries its user's login fields; a marker from
before costs one more read (the user) until its user's next login adds them, so until then such an
account answers a wrong password a read slower than an unknown username does. Likewise a first Log
In with Hub linked by a verified email reads the user when the email's marker carries no copy. This
upgrade copies them onto every such marker at once. It Scans (a one-off upgrade, never a request
path), is idempotent, and each copy is conditional on the marker still being its user's.
"""

from __future__ import annotations

from chalicelib import settings
from chalicelib.storage import tables
from chalicelib.storage.base import translated
from chalicelib.storage.portal.markers import (
    PortalUniqueModel,
    copy_fields,
    copy_to_email,
    email_copy_of,
    email_marker,
    read_username,
)
from chalicelib.storage.portal.users import PortalUserModel, email_copy, login_fields, user_from
from chalicelib.storage.transactions import write_transaction


def copy_missing() -> int:
    """Copy the login fields onto each username marker that lacks them; returns how many."""
    with translated():
        found = [user_from(m) for m in PortalUserModel.scan()]
    return sum(_copied(user.username_key, user.user_id) for user in found if user.username_key)


def copy_missing_emails() -> int:
    """Copy what Log In with Hub needs onto each email marker that lacks it; returns how many."""
    with translated():
        found = [user_from(m) for m in PortalUserModel.scan()]
    return sum(_email_copied(user.company_id, user.email_key, user.user_id)
               for user in found if user.email_key)


def _email_copied(company_id: str, email_key: str, user_id: str) -> int:
    """1 when the copy was written; 0 when the marker has it already or is not this user's."""
    try:
        with translated():
            marker = PortalUniqueModel.get(email_marker(company_id, email_key),
                                           consistent_read=True)
    except PortalUniqueModel.DoesNotExist:
        return 0
    if email_copy_of(marker) is not None or marker.owner_id != user_id:
        return 0
    with translated():
        copy = email_copy(user_from(PortalUserModel.get(user_id, consistent_read=True)))
    return 0 if write_transaction(lambda tx: copy_to_email(tx, email_key, copy)) else 1


def _copied(username_key: str, user_id: str) -> int:
    """1 when the copy was written; 0 when the marker has it already or is not this user's."""
    marker = read_username(username_key)
    if marker is None or marker.fields is not None or marker.owner_id != user_id:
        return 0
    with translated():
        fields = login_fields(user_from(PortalUserModel.get(user_id, consistent_read=True)))
    return 0 if write_transaction(lambda tx: copy_fields(tx, username_key, fields)) else 1


def main() -> None:
    """`python -m chalicelib.storage.portal.marker_backfill`: upgrade the stage named."""
    tables.configure(settings.from_environment())
    print(f"{copy_missing()} username markers given their login fields")
    print(f"{copy_missing_emails()} email markers given what Log In with Hub needs")


if __name__ == "__main__":
    main()
