"""Login fields for username markers written before they carried them.

A login by username reads the marker only when it carries its user's login fields; a marker from
before costs one more read (the user) until its user's next login adds them, so until then such an
account answers a wrong password a read slower than an unknown username does. This upgrade copies
them onto every such marker at once. It Scans (a one-off upgrade, never a request path), is
idempotent, and each copy is conditional on the marker still being its user's.
"""

from __future__ import annotations

from chalicelib import settings
from chalicelib.storage import tables
from chalicelib.storage.base import translated
from chalicelib.storage.portal.markers import copy_fields, read_username
from chalicelib.storage.portal.users import PortalUserModel, login_fields, user_from
from chalicelib.storage.transactions import write_transaction


def copy_missing() -> int:
    """Copy the login fields onto each username marker that lacks them; returns how many."""
    with translated():
        found = [user_from(m) for m in PortalUserModel.scan()]
    return sum(_copied(user.username_key, user.user_id) for user in found if user.username_key)


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


if __name__ == "__main__":
    main()
