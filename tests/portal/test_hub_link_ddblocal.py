"""Enable and Disable Login with Hub on DynamoDB Local: each is one transaction with its audit
entry and the hub link's record, so racing admins lose nothing and a refused change leaves no
trace."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.errors import ConcurrentChange
from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import SECURITY_ADMIN
from chalicelib.runtime import Runtime
from chalicelib.storage.portal import insights as publication_store
from chalicelib.storage.portal import security_settings as store
from chalicelib.storage.portal.audit import NewAuditEntry, portal_security_audit
from chalicelib.storage.portal.companies import PortalCompany
from tests.portal.helpers import make_user, unique_name
from tests.racing import at_once

pytestmark = pytest.mark.ddblocal


def _partner(rt: Runtime) -> PortalCompany:
    return companies.create_company(rt, unique_name("Link Partner"))


def _entry(rt: Runtime, company_id: str, action: str) -> NewAuditEntry:
    return security_settings.audit_entry(rt, company_id, "tests", action, "by the test")


def _link(rt: Runtime, company_id: str, hub_company_id: str) -> None:
    store.link_company(company_id, issuer=rt.settings.hub_issuer, hub_company_id=hub_company_id,
                       hub_company_name="Race Hub", now=rt.clock.now(), actor="tests",
                       audit=_entry(rt, company_id, "Enabled Login with Hub"))


def _unlink(rt: Runtime, company_id: str, hub_company_id: str) -> None:
    store.unlink_company(company_id, issuer=rt.settings.hub_issuer, hub_company_id=hub_company_id,
                         now=rt.clock.now(), actor="tests",
                         audit=_entry(rt, company_id, "Disabled Login with Hub"))


def _actions(company_id: str) -> list[str]:
    return sorted(e.action for e in portal_security_audit.audit_of(company_id))


def _record(rt: Runtime, hub_company_id: str) -> publication_store.Publication | None:
    return publication_store.get_publication(
        store.hub_link_key(rt.settings.hub_issuer, hub_company_id))


def test_partners_enabling_at_once_are_each_listed_and_audited(ddb):
    hub_company_id = uuid.uuid4().hex
    partners = [_partner(ddb) for _ in range(5)]
    errors = at_once([lambda p=p: _link(ddb, p.company_id, hub_company_id) for p in partners])
    assert not errors, errors
    record = _record(ddb, hub_company_id)
    assert record is not None and record.company_ids == {p.company_id for p in partners}
    assert record.next_due_at <= ddb.clock.now()
    for partner in partners:
        assert _actions(partner.company_id) == ["Enabled Login with Hub"]
    assert sorted(security_settings.companies_linked_to(
        ddb, ddb.settings.hub_issuer, hub_company_id)) == sorted(p.company_id for p in partners)


def test_a_save_racing_disable_never_leaves_a_setting_on_without_the_link(ddb):
    """Two Security Admins: one saves Require and Automatic User Creation on, the other disables
    Login with Hub. Whichever commits first, the company ends unlinked with both off, and the
    audit trail holds exactly the changes that were written."""
    for _ in range(4):
        hub_company_id = uuid.uuid4().hex
        partner = _partner(ddb)
        _link(ddb, partner.company_id, hub_company_id)
        link = (ddb.settings.hub_issuer, hub_company_id)
        change = store.AuditedChange(
            partner.company_id, ddb.clock.now(), "first-admin",
            [_entry(ddb, partner.company_id, "Require Log In with Hub")],
            {"require_hub_login": True, "auto_create_users": True}, hub_link=link)
        errors = at_once([lambda: store.write_audited(change),  # noqa: B023
                           lambda: _unlink(ddb, partner.company_id, hub_company_id)])  # noqa: B023
        assert all(isinstance(e, ConcurrentChange) for e in errors), errors
        settings = store.get_settings(partner.company_id)
        assert settings.hub_issuer is None and not settings.require_hub_login
        assert not settings.auto_create_users
        saved = [] if errors else ["Require Log In with Hub"]
        assert _actions(partner.company_id) == sorted(
            ["Enabled Login with Hub", "Disabled Login with Hub", *saved])
        record = _record(ddb, hub_company_id)
        assert record is not None and record.company_ids == frozenset()


def test_enabling_while_linked_to_another_hub_company_writes_nothing(ddb):
    partner = _partner(ddb)
    first, second = uuid.uuid4().hex, uuid.uuid4().hex
    _link(ddb, partner.company_id, first)
    with pytest.raises(ConcurrentChange):
        _link(ddb, partner.company_id, second)
    assert _actions(partner.company_id) == ["Enabled Login with Hub"]
    assert _record(ddb, second) is None
    assert store.get_settings(partner.company_id).hub_company_id == first


def test_disabling_a_link_another_tab_removed_writes_nothing(ddb):
    partner = _partner(ddb)
    hub_company_id = uuid.uuid4().hex
    _link(ddb, partner.company_id, hub_company_id)
    _unlink(ddb, partner.company_id, hub_company_id)
    with pytest.raises(ConcurrentChange):
        _unlink(ddb, partner.company_id, hub_company_id)
    assert _actions(partner.company_id) == ["Disabled Login with Hub", "Enabled Login with Hub"]


def test_a_record_from_before_the_list_is_listed_by_the_next_link(ddb):
    """A record written before it listed its companies: the next link lists every partner the
    settings' index names, with the new one."""
    hub_company_id = uuid.uuid4().hex
    first, second = _partner(ddb), _partner(ddb)
    _link(ddb, first.company_id, hub_company_id)
    key = store.hub_link_key(ddb.settings.hub_issuer, hub_company_id)
    model = publication_store.PortalInsightsPublicationModel
    model(key).update(actions=[model.companies_listed.remove(), model.company_ids.remove()])
    _link(ddb, second.company_id, hub_company_id)
    record = _record(ddb, hub_company_id)
    assert record is not None and record.company_ids == {first.company_id, second.company_id}


def test_a_partner_the_index_still_names_after_its_unlink_is_not_listed(ddb, monkeypatch):
    """The settings' index lags an unlink: the link checks each partner it names in its own
    transaction and is written again without the one no longer linked."""
    hub_company_id = uuid.uuid4().hex
    gone, staying, new = _partner(ddb), _partner(ddb), _partner(ddb)
    for partner in (gone, staying):
        _link(ddb, partner.company_id, hub_company_id)
    _unlink(ddb, gone.company_id, hub_company_id)
    lagging = [gone.company_id, staying.company_id]
    monkeypatch.setattr(store, "companies_linked_to", lambda issuer, hub: list(lagging))
    _link(ddb, new.company_id, hub_company_id)
    record = _record(ddb, hub_company_id)
    assert record is not None and record.company_ids == {staying.company_id, new.company_id}
    assert _actions(new.company_id) == ["Enabled Login with Hub"]


def test_disable_as_a_security_admin_keeps_the_exceptions(ddb):
    partner = _partner(ddb)
    admin = make_user(partner, role=SECURITY_ADMIN)
    hub_company_id = uuid.uuid4().hex
    _link(ddb, partner.company_id, hub_company_id)
    security_settings.set_exception(ddb, admin, admin.user_id, True)
    _unlink(ddb, partner.company_id, hub_company_id)
    assert store.get_settings(partner.company_id).exceptions == {admin.user_id}
