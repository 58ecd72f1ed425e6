"""The first-time linking rule every module shares, and the sealed "Link your accounts" step."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from chalicelib.auth.sso import accounts, linking
from chalicelib.auth.sso.accounts import Match
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LoginFailed, NotAuthenticated


def identity(*, verified: bool, subject: str = "sub-1") -> HubIdentity:
    return HubIdentity(issuer="https://hub.example", subject=subject, email="a@example.com",
                       email_verified=verified, username="a", name="A", hub_company_id="hc",
                       hub_company_name="Hub", hub_role="User", sid="sid",
                       return_to="/portal/saas")


@dataclass
class Directory:
    """Accounts as plain strings; `matches` are the unlinked ones sharing email or username."""

    matches: list[Match[str]]
    linked: list[str] = field(default_factory=list)
    jit: bool = False

    def linked_tenants(self, identity: HubIdentity) -> list[str]:
        return ["t1"]

    def linked_accounts(self, identity: HubIdentity) -> list[str]:
        return list(self.linked)

    def first_time_matches(self, identity: HubIdentity, tenants: list[str]) -> list[Match[str]]:
        return self.matches

    def link(self, identity: HubIdentity, account: str) -> str | None:
        self.linked.append(account)
        return account

    def provision(self, identity: HubIdentity, tenants: list[str]) -> str | None:
        return "created" if self.jit else None


def test_a_verified_email_links_an_ordinary_account():
    directory = Directory([Match("tech", "tech", same_email=True, privileged=False)])
    assert accounts.resolve(directory, identity(verified=True)) == ["tech"]


@pytest.mark.parametrize(("match", "verified"), [
    (Match("admin", "admin", same_email=True, privileged=True), True),  # privileged: password
    (Match("tech", "tech", same_email=True, privileged=False), False),  # unverified email
    (Match("tech", "tech", same_email=False, privileged=False), True),  # username alone
])
def test_without_the_owners_proof_nothing_is_linked_and_the_link_page_is_required(match,
                                                                                  verified):
    directory = Directory([match], jit=True)
    with pytest.raises(accounts.LinkRequired) as required:
        accounts.resolve(directory, identity(verified=verified))
    assert required.value.account_ids == [match.account_id]
    assert directory.linked == []  # and nothing was created just in time either


def test_once_linked_the_identity_alone_decides():
    directory = Directory([Match("other", "other", same_email=True, privileged=False)],
                          linked=["mine"])
    assert accounts.resolve(directory, identity(verified=True)) == ["mine"]


def test_with_no_match_just_in_time_creation_is_unchanged():
    assert accounts.resolve(Directory([], jit=True), identity(verified=False)) == ["created"]
    with pytest.raises(accounts.NoAccount):
        accounts.resolve(Directory([]), identity(verified=False))


def test_the_sealed_link_gives_back_the_identity_and_only_an_offered_account(aws):
    cookie = linking.seal(aws, "portal", identity(verified=False), ["u1", "u2"])
    who, chosen = linking.pick(aws, "portal", cookie, "u2")
    assert chosen == "u2" and who.subject == "sub-1" and who.return_to == "/portal/saas"
    assert who.access_token == ""  # never sealed
    with pytest.raises(LoginFailed):
        linking.pick(aws, "portal", cookie, "u3")
    with pytest.raises(NotAuthenticated):
        linking.pick(aws, "itdocs", cookie, "u1")
    with pytest.raises(NotAuthenticated):
        linking.pick(aws, "portal", cookie[:-2] + "xx", "u1")


def test_a_sealed_link_expires(aws, frozen_time):
    cookie = linking.seal(aws, "portal", identity(verified=False), ["u1"])
    frozen_time.advance(seconds=linking.MAX_AGE + 1)
    with pytest.raises(NotAuthenticated):
        linking.pending(aws, "portal", cookie)
