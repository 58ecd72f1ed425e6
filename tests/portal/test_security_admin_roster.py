"""A partner company always keeps an active Security Admin, decided by one conditional write."""

from __future__ import annotations

import threading

import pytest

from chalicelib.errors import ConcurrentChange, LastSecurityAdmin
from chalicelib.portal import companies, users
from chalicelib.portal.policy import SECURITY_ADMIN
from chalicelib.storage.portal import companies as company_store
from chalicelib.storage.portal import users as user_store
from tests.portal.helpers import make_user, unique_name


def _company_with(rt, *roles):
    company = companies.create_company(rt, unique_name("Roster Partner"))
    return company, [make_user(company, role=role) for role in roles]


def test_one_of_two_security_admins_can_go_and_the_other_then_cannot(aws):
    _, (first, second) = _company_with(aws, SECURITY_ADMIN, SECURITY_ADMIN)
    users.change_status(first, users.DEACTIVATED, keep_a_security_admin=True)
    with pytest.raises(LastSecurityAdmin):
        users.change_status(second, users.DELETED, keep_a_security_admin=True)
    back = users.change_status(user_store.get_user(first.user_id), users.ACTIVE,
                               keep_a_security_admin=True)
    users.change_status(second, users.DELETED, keep_a_security_admin=True)
    assert back.status == users.ACTIVE
    assert company_store.get_company(first.company_id).security_admins == {first.user_id}


def test_a_company_from_before_the_roster_gets_it_from_its_users(aws):
    company, (first, second) = _company_with(aws, SECURITY_ADMIN, SECURITY_ADMIN)
    company_store.PortalCompanyModel(company.company_id).update(
        actions=[company_store.PortalCompanyModel.security_admins.remove()])
    assert company_store.get_company(company.company_id).security_admins is None
    users.change_status(first, users.DEACTIVATED, keep_a_security_admin=True)
    with pytest.raises(LastSecurityAdmin):
        users.change_status(second, users.DEACTIVATED, keep_a_security_admin=True)


def _remove_each_other(rt, admins: list) -> list[str]:
    """Each Security Admin deactivates the other at the same instant (the users page's action)."""
    outcomes: list[str] = []
    start = threading.Barrier(len(admins))

    def remove(actor, target) -> None:
        start.wait()
        try:
            users.set_status(rt, actor, target.user_id, users.DEACTIVATED)
            outcomes.append("removed")
        except LastSecurityAdmin:
            outcomes.append("kept")
        except ConcurrentChange:  # DynamoDB may cancel both colliding transactions: retryable
            outcomes.append("conflict")

    pairs = [(admins[0], admins[1]), (admins[1], admins[0])]
    threads = [threading.Thread(target=remove, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.ddblocal
def test_two_security_admins_removed_at_once_leave_one(ddb):
    for _ in range(3):
        _, admins = _company_with(ddb, SECURITY_ADMIN, SECURITY_ADMIN)
        outcomes = _remove_each_other(ddb, admins)
        statuses = [user_store.get_user(a.user_id).status for a in admins]
        assert outcomes.count("removed") == statuses.count(users.DEACTIVATED) <= 1
        assert statuses.count(users.ACTIVE) >= 1
        assert outcomes in (["kept", "removed"], ["conflict", "removed"], ["conflict", "conflict"])
