"""Invitations on DynamoDB Local: two uses of one invitation link at once set one password; the
verified-email index finds an account for forgot password."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.auth import passwords
from chalicelib.auth.hub import invitations, password_reset
from chalicelib.auth.hub.accounts import NewUser
from chalicelib.errors import InvalidInput
from chalicelib.storage.hub import users as store
from devstack.mail_catcher import MailCatcher
from tests.auth.hub.helpers import make_account
from tests.auth.hub.test_password_reset_ddblocal import _at_once, ddb_mailing  # noqa: F401
from tests.conftest import unique

pytestmark = pytest.mark.ddblocal


def test_two_uses_of_one_invitation_link_at_once_set_one_password(ddb_mailing,  # noqa: F811
                                                                  mail_catcher: MailCatcher):
    master = make_account(unique("Invite Race Co"))
    for round_number in range(3):
        username = f"dave{round_number}"
        email = f"{username}@example.com"
        user = invitations.invite(ddb_mailing, master.user,
                                  NewUser(username, email, "Dave", "", "User", []))
        mail = mail_catcher.inbox.wait_for(email, "You are invited")
        (link,) = [found for found in mail.links() if "/hub/invitation/" in found]
        token = link.split("token=", 1)[1]
        candidates = [f"winding-orchard-{round_number}-{i}-lantern" for i in range(2)]

        def use(i: int, token: str = token, candidates: list[str] = candidates,
                user_id: str = user.user_id) -> str:
            try:
                invitations.accept(ddb_mailing, user_id, token, candidates[i], candidates[i])
            except InvalidInput as error:
                assert error.message == invitations.LINK_ERROR
                return "refused"
            return "set"

        outcomes = _at_once(2, use)
        assert sorted(outcomes) == ["refused", "set"]
        stored = store.get_user(user.user_id)
        winner = candidates[outcomes.index("set")]
        loser = candidates[outcomes.index("refused")]
        assert passwords.verify(stored.password_hash, winner)
        assert not passwords.verify(stored.password_hash, loser)
        assert stored.status == "active" and stored.email_verified


def test_forgot_password_finds_a_verified_email_through_the_sparse_index(
        ddb_mailing, mail_catcher: MailCatcher):  # noqa: F811
    account = make_account(unique("Verified Email Co"))
    address = f"{unique('owner').replace(' ', '-')}@example.com"
    store.update_user(account.user.user_id, email=address)
    assert store.users_by_verified_email(address) == []  # unverified: not in the index
    store.update_user(account.user.user_id, email_verified=True,
                      verified_email_key=store.email_key(address))
    password_reset.request(runtime.current(), "", "", address.upper())
    mail = mail_catcher.inbox.wait_for(address, "Reset your Hub password")
    assert account.company.name in mail.text
