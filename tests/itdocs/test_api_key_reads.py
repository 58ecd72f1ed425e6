"""IT Docs API keys that name their user: read with the user in one call, trusted only when the
stored key holds that user; keys made before (no user named) still work. A role change and a new
key each write their audit entry in the same transaction."""

from __future__ import annotations

import pytest

from chalicelib.errors import NotAuthenticated
from chalicelib.itdocs import api_keys
from chalicelib.itdocs.policy import ADMINISTRATOR, READ_ONLY
from chalicelib.storage import tables
from chalicelib.storage.itdocs.audit import itdocs_audit
from tests.itdocs.helpers import actor, make_account, make_user, sign_in


def _parts(presented: str) -> list[str]:
    return presented.removeprefix(api_keys.PREFIX).split(".")


def test_a_new_key_names_its_user_and_is_checked_with_one_read(aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    created = api_keys.create(aws, actor(admin), "k")
    key_id, user_id, _ = _parts(created.presented)
    assert (key_id, user_id) == (created.key.key_id, admin.user_id)

    with tables.counting_calls() as calls:
        owner = api_keys.verify(aws, created.presented)

    assert owner.user_id == admin.user_id
    assert dict(calls.calls) == {"BatchGetItem": 1}


def test_a_key_naming_another_user_or_no_user_is_refused(aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    other = make_user(account, ADMINISTRATOR)
    created = api_keys.create(aws, actor(admin), "k")
    key_id, _, secret = _parts(created.presented)
    for user_id in (other.user_id, "nobody", "x" * 60):
        with pytest.raises(NotAuthenticated):
            api_keys.verify(aws, f"{api_keys.PREFIX}{key_id}.{user_id}.{secret}")
    for mangled in (f"{key_id}..{secret}", f"{key_id}.{admin.user_id}.{secret}.x",
                    f".{admin.user_id}.{secret}"):
        with pytest.raises(NotAuthenticated):
            api_keys.verify(aws, api_keys.PREFIX + mangled)


def test_a_key_made_before_it_named_its_user_still_verifies(aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    created = api_keys.create(aws, actor(admin), "k")
    key_id, _, secret = _parts(created.presented)
    old_format = f"{api_keys.PREFIX}{key_id}.{secret}"

    with tables.counting_calls() as calls:
        owner = api_keys.verify(aws, old_format)

    assert owner.user_id == admin.user_id
    assert dict(calls.calls) == {"GetItem": 2}
    with pytest.raises(NotAuthenticated):
        api_keys.verify(aws, f"{api_keys.PREFIX}{key_id}.{secret[:-2]}xx")


def test_a_new_key_and_its_audit_entry_are_one_transaction(aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)

    with tables.counting_calls() as calls:
        created = api_keys.create(aws, actor(admin), "ci")

    assert dict(calls.calls) == {"TransactWriteItems": 1}
    entries = itdocs_audit.audit_of(account.account_id)
    assert [e.detail for e in entries if e.action == "api_key.created"] == [
        f"{created.key.key_id} (ci)"]


def test_a_role_change_and_its_audit_entry_are_one_transaction(client, aws):
    account = make_account()
    admin = make_user(account, ADMINISTRATOR)
    reader = make_user(account, READ_ONLY)
    sign_in(client, admin)
    client.get("/itdocs/account/users")

    with tables.counting_calls() as calls:
        reply = client.post(f"/itdocs/account/users/{reader.user_id}", {"role": "Editor"})

    assert reply.status == 303
    assert calls.calls["TransactWriteItems"] == 1 and calls.calls["PutItem"] == 0
    assert calls.calls["UpdateItem"] == 0
    entries = itdocs_audit.audit_of(account.account_id)
    assert [e.detail for e in entries if e.action == "user.role"] == [f"{reader.email} -> Editor"]
