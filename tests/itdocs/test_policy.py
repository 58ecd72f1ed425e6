"""Who may do what in IT Docs, by role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR, MANAGER, READ_ONLY, ROLES, can


@dataclass
class Someone:
    role: str


@pytest.mark.parametrize("role", ROLES)
def test_everyone_may_look_at_organizations_and_contacts(role):
    for action in ("itdocs.use", "organization.view", "contact.view"):
        assert can(Someone(role), action)


@pytest.mark.parametrize(("role", "allowed"), [
    (ADMINISTRATOR, True), (MANAGER, True), (EDITOR, False), (READ_ONLY, False)])
def test_only_administrators_and_managers_manage_integrations_and_matching(role, allowed):
    assert can(Someone(role), "integration.manage") is allowed
    assert can(Someone(role), "matching.manage") is allowed


@pytest.mark.parametrize(("role", "allowed"), [
    (ADMINISTRATOR, True), (MANAGER, True), (EDITOR, True), (READ_ONLY, False)])
def test_read_only_users_cannot_write_documentation(role, allowed):
    for action in ("organization.create", "organization.edit", "contact.create", "contact.edit"):
        assert can(Someone(role), action) is allowed


@pytest.mark.parametrize(("role", "allowed"), [
    (ADMINISTRATOR, True), (MANAGER, False), (EDITOR, False), (READ_ONLY, False)])
def test_only_administrators_manage_the_account_and_api_keys(role, allowed):
    for action in ("account.manage", "api_key.manage", "user.manage"):
        assert can(Someone(role), action) is allowed


def test_unknown_roles_and_actions_are_refused():
    assert not can(Someone("Owner"), "organization.view")
    assert not can(Someone(ADMINISTRATOR), "organization.delete_everything")
