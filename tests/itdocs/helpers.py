"""IT Docs test helpers: accounts, users in each role, and a session set straight on a client."""

from __future__ import annotations

import uuid

from chalicelib import runtime
from chalicelib.itdocs import accounts, sessions
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import ADMINISTRATOR
from chalicelib.storage.itdocs.accounts import Account
from chalicelib.storage.itdocs.users import User
from tests.web_client import WebClient


def make_account(name: str | None = None, **kwargs: object) -> Account:
    return accounts.create_account(runtime.current(), name or f"MSP {uuid.uuid4().hex[:8]}",
                                   **kwargs)  # type: ignore[arg-type]


def make_user(account: Account, role: str = ADMINISTRATOR, email: str | None = None,
              name: str | None = None) -> User:
    email = email or f"{role.replace(' ', '').lower()}-{uuid.uuid4().hex[:8]}@example.com"
    return accounts.create_user(runtime.current(), account.account_id, email=email,
                                name=name or f"{role} User", role=role)


def actor(user: User) -> ItDocsUser:
    return ItDocsUser.of(user)


def setup_admin(account_id: str) -> ItDocsUser:
    """An explicit Administrator of the account for tests' setup and checks (no one signs in)."""
    return ItDocsUser(account_id, "tests", ADMINISTRATOR, "tests", "Tests")


def sign_in(client: WebClient, user: User) -> None:
    """Give the client a live IT Docs session for this user (as Log In with Hub would)."""
    token, _ = sessions.start(runtime.current(), user)
    client.cookies["lh_itdocs_session"] = token
