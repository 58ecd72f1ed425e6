"""Password storage and policy per the security baseline."""

from __future__ import annotations

import pytest

from chalicelib.auth import passwords
from chalicelib.errors import InvalidInput


def test_argon2id_with_baseline_parameters():
    stored = passwords.hash_password("blue-harbour-lantern-42")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert passwords.verify(stored, "blue-harbour-lantern-42")
    assert not passwords.verify(stored, "blue-harbour-lantern-43")


@pytest.mark.parametrize("bad", ["short", "x" * 129, "password123", "Qwerty123", "iloveyou"])
def test_policy_refuses_short_long_and_common_passwords(bad):
    with pytest.raises(InvalidInput):
        passwords.hash_password(bad)


def test_no_composition_rules():
    assert passwords.hash_password("all lowercase words here")


def test_unknown_user_still_costs_a_verification_and_fails():
    assert passwords.verify(None, "anything-at-all") is False


@pytest.mark.parametrize("bad", ["Passw0rd!", "linkhub123", "P@ssw0rd123", "Dragon2024!",
                                 "sunshine!!", "1qaz2wsx", "Linkhub-2025", "ITDocs2024!"])
def test_breached_passwords_and_their_decorations_are_refused(bad):
    with pytest.raises(InvalidInput) as refused:
        passwords.hash_password(bad)
    assert refused.value.field == "password"


def test_the_list_holds_at_least_ten_thousand_breached_passwords_of_usable_length():
    usable = [p for p in passwords._common() if len(p) >= passwords.MIN_LENGTH]
    assert len(passwords._common()) >= 30_000 and len(usable) >= 10_000


@pytest.mark.parametrize("bad", ["alice2024!", "Acme MSP 1", "acme-msp!!", "@lice1234",
                                 "AcmeMSP99"])
def test_the_users_own_words_are_refused(bad):
    context = ("alice", "Acme MSP", "alice.smith", "Alice Smith")
    with pytest.raises(InvalidInput):
        passwords.check_policy(bad, context)
    passwords.check_policy(bad.replace("lice", "zure").replace("cme", "zur").replace("MSP", "QRT"))


def test_a_master_cannot_give_a_new_hub_user_a_common_password(client):
    from chalicelib.storage.hub import users as store
    from tests.auth.hub.oidc.flow import signed_in

    account = signed_in(client)
    for weak in ("Passw0rd!", "linkhub123", "bob-2024!", "AcmeMSP2024"):
        client.get("/hub/admin/users")
        reply = client.post("/hub/admin/users", {
            "username": "bob", "email": "bob@example.com", "name": "Bob", "password": weak,
            "role": "User", "module_portal": "on"})
        assert reply.status == 303, weak
        assert 'class="error" role="alert"' in client.get("/hub/admin/users").text, weak
    assert [u.username for u in store.users_of_company(account.company.company_id)] == ["alice"]


def test_long_uncommon_passwords_still_pass():
    for good in ("blue-harbour-lantern-42", "Tr0ub4dor&3", "x9#kQ2!m7", "correct horse battery"):
        passwords.check_policy(good, ("alice", "Acme MSP"))
