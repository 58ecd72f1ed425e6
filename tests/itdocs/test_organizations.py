"""Organizations and contacts: per-account lists, unique exact names (even under a race)."""

from __future__ import annotations

import threading

import pytest

from chalicelib.errors import AlreadyExists, ConcurrentChange, Forbidden, InvalidInput, NotFound
from chalicelib.itdocs import contacts, organizations
from chalicelib.itdocs.contacts import ContactDetails
from chalicelib.itdocs.policy import EDITOR, READ_ONLY
from tests.conftest import unique
from tests.itdocs.helpers import actor, make_account, make_user, setup_admin


def test_organizations_are_listed_by_name_and_scoped_to_their_account(aws):
    mine, theirs = make_account(), make_account()
    for name in ("Zeta Dental", "acme corp", "Bluebird LLC"):
        organizations.create(aws, setup_admin(mine.account_id), name)
    other = organizations.create(aws, setup_admin(theirs.account_id), "Hidden Org")
    names = [o.name for o in organizations.list_all(aws, setup_admin(mine.account_id))]
    assert names == ["acme corp", "Bluebird LLC", "Zeta Dental"]
    with pytest.raises(NotFound):
        organizations.get(aws, setup_admin(mine.account_id), other.organization_id)


def test_the_exact_same_name_is_refused_but_a_different_case_is_another_name(aws):
    account = make_account()
    organizations.create(aws, setup_admin(account.account_id), "Acme Corp")
    with pytest.raises(AlreadyExists, match="Acme Corp"):
        organizations.create(aws, setup_admin(account.account_id), "  Acme   Corp ")
    organizations.create(aws, setup_admin(account.account_id), "ACME Corp")
    organizations.create(aws, setup_admin(make_account().account_id), "Acme Corp")
    assert len(organizations.list_all(aws, setup_admin(account.account_id))) == 2


def test_a_blank_name_is_refused(aws):
    with pytest.raises(InvalidInput):
        organizations.create(aws, setup_admin(make_account().account_id), " \u200b ")


def test_renaming_moves_the_name_so_the_old_one_is_free_and_a_taken_one_is_refused(aws):
    account = make_account()
    editor = actor(make_user(account, EDITOR))
    first = organizations.create(aws, setup_admin(account.account_id), "Old Name")
    organizations.create(aws, setup_admin(account.account_id), "Taken Name")
    organizations.rename(aws, editor, first.organization_id, "New Name")
    assert organizations.get(aws, editor, first.organization_id).name == "New Name"
    organizations.create(aws, setup_admin(account.account_id), "Old Name")
    with pytest.raises(AlreadyExists):
        organizations.rename(aws, editor, first.organization_id, "Taken Name")


def test_read_only_users_cannot_create_or_rename(aws):
    account = make_account()
    viewer = actor(make_user(account, READ_ONLY))
    with pytest.raises(Forbidden):
        organizations.create(aws, viewer, "Nope Inc")
    org = organizations.create(aws, setup_admin(account.account_id), "Yes Inc")
    with pytest.raises(Forbidden):
        organizations.rename(aws, viewer, org.organization_id, "Nope Inc")


def test_contacts_keep_several_emails_and_belong_to_one_organization(aws):
    account = make_account()
    editor = actor(make_user(account, EDITOR))
    org = organizations.create(aws, setup_admin(account.account_id), "Contact Org")
    other = organizations.create(aws, setup_admin(account.account_id), "Other Org")
    emails = contacts.parse_emails("ann@contact.example, Ann.Smith@contact.example\n"
                                   "ann@CONTACT.example")
    assert emails == ["ann@contact.example", "Ann.Smith@contact.example"]
    created = contacts.create(aws, editor, org.organization_id, ContactDetails("Ann Smith", emails))
    contacts.create(aws, editor, other.organization_id, ContactDetails("Bob", []))
    found = contacts.in_organization(aws, setup_admin(account.account_id), org.organization_id)
    assert [(c.name, c.emails) for c in found] == [("Ann Smith", emails)]
    contacts.update(aws, editor, org.organization_id, created.contact_id,
                    ContactDetails("Ann Smith-Jones", ["ann@contact.example"], title="CFO"))
    again = contacts.get(aws, editor, org.organization_id, created.contact_id)
    assert (again.name, again.emails, again.title) == ("Ann Smith-Jones",
                                                       ["ann@contact.example"], "CFO")


def test_a_malformed_email_is_named_in_the_error(aws):
    with pytest.raises(InvalidInput, match="not-an-email"):
        contacts.parse_emails("ok@example.com\nnot-an-email")


def test_a_contact_cannot_be_added_to_another_accounts_organization(aws):
    mine, theirs = make_account(), make_account()
    theirs_org = organizations.create(aws, setup_admin(theirs.account_id), "Theirs")
    with pytest.raises(NotFound):
        contacts.create(aws, actor(make_user(mine, EDITOR)), theirs_org.organization_id,
                        ContactDetails("Eve", []))


@pytest.mark.ddblocal
def test_concurrent_creates_of_one_name_make_exactly_one_organization(ddb):
    account = make_account()
    name = unique("Race Org")
    outcomes: list[str] = []
    barrier = threading.Barrier(12)

    def create() -> None:
        barrier.wait()
        try:
            organizations.create(ddb, setup_admin(account.account_id), name)
            outcomes.append("created")
        except AlreadyExists:
            outcomes.append("taken")
        except ConcurrentChange:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("created") == 1
    assert [o.name for o in organizations.list_all(ddb, setup_admin(account.account_id))] == [name]
