"""Hub authorization as a pure function."""

from __future__ import annotations

import datetime as dt

from chalicelib.auth.hub.policy import can
from chalicelib.storage.hub.users import HubUser


def user(user_id="u1", role="User", company="c1", status="active"):
    return HubUser(user_id=user_id, company_id=company, company_name="Acme", username=user_id,
                   email=f"{user_id}@x.example", name=user_id, role=role, status=status,
                   password_hash="", created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_master_manages_users_of_own_company():
    master = user("m", "Master")
    assert can(master, "user.create")
    assert can(master, "user.deactivate", user("u2"))
    assert not can(master, "user.deactivate", user("u3", company="other"))


def test_plain_user_manages_nobody():
    assert not can(user(), "user.create")
    assert not can(user(), "user.reset_mfa", user("u2"))
    assert can(user(), "module.use")


def test_master_cannot_remove_their_own_access():
    master = user("m", "Master")
    assert not can(master, "user.deactivate", master)
    assert not can(master, "user.delete", master)
    assert can(master, "user.reset_mfa", master)


def test_inactive_actor_can_do_nothing():
    assert not can(user("m", "Master", status="deactivated"), "user.create")


def test_everyone_manages_their_own_devices_only_masters_link_modules():
    assert all(can(user(), action) for action in ("device.list", "device.enroll", "device.remove"))
    assert not can(user(), "module.link")
    assert can(user("m", "Master"), "module.link")
    assert not can(user(status="deactivated"), "device.enroll")
