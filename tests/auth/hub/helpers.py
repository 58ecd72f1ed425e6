"""Hub test helpers: make a company and users, and walk the three login steps."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib import runtime
from chalicelib.auth.hub import accounts, totp
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.companies import HubCompany
from chalicelib.storage.hub.users import HubUser
from tests.web_client import Reply, WebClient

PASSWORD = "blue-harbour-lantern-42"


@dataclass
class Account:
    company: HubCompany
    user: HubUser
    password: str
    totp_secret: str | None = None


def make_account(
    company_name: str = "Acme MSP",
    username: str = "alice",
    role: str = "Master",
    enrolled: bool = True,
    modules: list[str] | None = None,
    company: HubCompany | None = None,
) -> Account:
    rt = runtime.current()
    company = company or accounts.create_company(rt, company_name)
    user = accounts.create_user_at_setup(
        rt, company, username=username, email=f"{username}@example.com", name=username.title(),
        password=PASSWORD, role=role, modules=modules or ["portal", "itdocs"],
    )
    secret = None
    if enrolled:
        secret = totp.new_secret()
        user = store.update_user(
            user.user_id, totp_secret=rt.box.encrypt(secret.encode(), f"totp:{user.user_id}")
        )
    return Account(company, user, PASSWORD, secret)


def current_code(secret: str) -> str:
    return totp.code_at(secret, runtime.current().clock.now())


def log_in(client: WebClient, account: Account, code: str | None = None) -> Reply:
    """Walk the three steps; returns the reply to the last POST."""
    client.get("/hub/login")
    client.post("/hub/login", {"username": account.user.username,
                               "company": account.company.name})
    client.get("/hub/login/password")
    reply = client.post("/hub/login/password", {"password": account.password})
    if reply.status != 303:
        return reply
    assert account.totp_secret, "account must be enrolled"
    client.get("/hub/login/verify")
    return client.post("/hub/login/verify", {"code": code or current_code(account.totp_secret)})
