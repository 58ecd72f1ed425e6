"""can(actor, action, resource): the portal's authorization, as a pure function."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest

from chalicelib.portal.policy import (
    ADMINISTRATOR,
    PRIMARY,
    READ_ONLY,
    ROLES,
    SECURITY_ADMIN,
    TECHNICIAN,
    can,
)
from chalicelib.storage.portal.users import PortalUser

WHEN = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def person(role: str, company: str = "c1", user_id: str | None = None,
           status: str = "active") -> PortalUser:
    return PortalUser(user_id or f"{company}-{role}", company, "Co", role.lower(), "x@y.z", role,
                      role, status, None, WHEN)


@dataclass
class Thing:
    company_id: str


@pytest.mark.parametrize("role", ROLES)
def test_everyone_may_look_at_their_own_company(role):
    for action in ("portal.use", "organization.view", "saas.view"):
        assert can(person(role), action, Thing("c1"))
        assert not can(person(role), action, Thing("c2"))


@pytest.mark.parametrize("role,allowed", [
    (SECURITY_ADMIN, True), (PRIMARY, True), (ADMINISTRATOR, True), (TECHNICIAN, True),
    (READ_ONLY, False)])
def test_read_only_users_cannot_link_or_create(role, allowed):
    assert can(person(role), "saas.link", Thing("c1")) is allowed
    assert can(person(role), "organization.create") is allowed


@pytest.mark.parametrize("role,allowed", [
    (SECURITY_ADMIN, True), (PRIMARY, True), (ADMINISTRATOR, True), (TECHNICIAN, False),
    (READ_ONLY, False)])
def test_admins_manage_users_and_api_keys(role, allowed):
    for action in ("user.list", "api_key.create", "api_key.revoke", "api_key.list"):
        assert can(person(role), action) is allowed
    assert can(person(role), "user.manage", person(TECHNICIAN, user_id="t1")) is allowed


def test_only_a_security_admin_touches_security_admins_primary_users_and_settings():
    for guarded in (SECURITY_ADMIN, PRIMARY):
        target = person(guarded, user_id="target")
        assert can(person(SECURITY_ADMIN), "user.manage", target)
        assert not can(person(PRIMARY), "user.manage", target)
        assert not can(person(ADMINISTRATOR), "user.create", target)
    assert can(person(SECURITY_ADMIN), "security.manage")
    assert not can(person(PRIMARY), "security.manage")


def test_nobody_changes_their_own_status():
    admin = person(SECURITY_ADMIN, user_id="me")
    assert not can(admin, "user.manage", admin)


def test_other_companies_and_inactive_actors_get_nothing():
    admin = person(SECURITY_ADMIN)
    assert not can(admin, "user.manage", person(TECHNICIAN, company="c2"))
    assert not can(admin, "api_key.revoke", Thing("c2"))
    for status in ("deactivated", "deleted"):
        assert not can(replace(admin, status=status), "portal.use")


def test_unknown_actions_are_refused():
    assert not can(person(SECURITY_ADMIN), "everything")
