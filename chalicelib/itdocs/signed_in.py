"""Who is signed in to an IT Docs page: the session, its user and what the page names, read at once.

The session token names the user's account and id before its secret, so a page reads the session,
the user and the account (and the organization, contact, integration or customer its URL names)
in one call (`storage.itdocs.signed_in`). Those ids are trusted by nobody: the session is stored
under the hash of the whole token (change an id and there is no session), it must name the user
read, and what was read is used only when it belongs to that user's account.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.auth import session_rules
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs.sessions import Session, itdocs_sessions
from chalicelib.storage.itdocs.signed_in import MAX_CUSTOMERS, PageKeys, PageRead, read_signed_in
from chalicelib.storage.itdocs.users import User

__all__ = ["MAX_CUSTOMERS", "Resumed", "resume", "resume_page"]


@dataclass(frozen=True)
class Resumed:
    """A live session, its active user and what was read with them (None: an old token's
    session, read one item at a time; the page reads the rest itself)."""

    session: Session
    user: User
    read: PageRead | None


def resume(rt: Runtime, token: str | None) -> tuple[Session, User]:
    """The live session and its active user, or NotAuthenticated (expired, idle, deactivated)."""
    resumed = resume_page(rt, token)
    return resumed.session, resumed.user


def resume_page(rt: Runtime, token: str | None, organization_id: str = "",
                contact_id: str = "", integration_id: str = "",
                customer_id: str = "", customer_ids: tuple[str, ...] = ()) -> Resumed:
    """The live session and its active user, with the account (and the organization, contact,
    integration or customers named) in one BatchGetItem for a token naming its ids; or
    NotAuthenticated."""
    ids = session_rules.token_ids(token, 2) if token else None
    if ids is None:
        session, user = session_rules.resume(itdocs_sessions, token, rt.clock.now())
        return Resumed(session, user, None)
    account_id, user_id = ids
    reads: list[PageRead] = []

    def read(key: str) -> tuple[Session | None, User | None]:
        reads.append(read_signed_in(PageKeys(key, account_id, user_id, organization_id,
                                             contact_id, integration_id, customer_id,
                                             customer_ids)))
        return reads[0].session, reads[0].user

    session, user = session_rules.resume(itdocs_sessions, token, rt.clock.now(), read)
    same_account = user.account_id == account_id == session.account_id
    return Resumed(session, user, reads[0] if same_account else None)
