"""The one-off upgrade that lists hub links' partner companies and hub identities' links stored
before they were kept: afterwards a callback reads them by key again."""

from __future__ import annotations

import uuid

from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.portal import hub_login
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import hub_link_backfill
from chalicelib.storage.portal import insights as publication_store
from chalicelib.storage.portal import security_settings as security_store
from tests.portal.helpers import partner_linked_to_a_hub


def _identity(rt: Runtime, hub_company_id: str) -> HubIdentity:
    name = f"old{uuid.uuid4().hex[:8]}"
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=uuid.uuid4().hex,
                       email=f"{name}@example.com", email_verified=True, username=name,
                       name=name.title(), hub_company_id=hub_company_id,
                       hub_company_name="Old Hub", hub_role="User", sid="sid")


def _as_stored_before(rt: Runtime, hub_company_id: str, identity: HubIdentity) -> str:
    """Strip what the code now keeps: the record's list and the identity's own item."""
    model = publication_store.PortalInsightsPublicationModel
    key = security_store.hub_link_key(rt.settings.hub_issuer, hub_company_id)
    model(key).update(actions=[model.companies_listed.remove(), model.company_ids.remove()])
    identity_store.PortalHubIdentityModel(
        identity_store.links_key(identity.issuer, identity.subject)).delete()
    return key


def _sign_in_calls(rt: Runtime, identity: HubIdentity) -> dict[str, int]:
    with tables.counting_calls() as counter:
        hub_login.accounts_for(rt, identity)
    return dict(counter.calls)


def test_the_upgrade_lists_old_links_and_the_callback_reads_them_by_key(aws):
    partner, hub_company_id = partner_linked_to_a_hub(aws, "Old")
    identity = _identity(aws, hub_company_id)
    (user,) = hub_login.accounts_for(aws, identity)  # created just in time
    key = _as_stored_before(aws, hub_company_id, identity)
    # before: the settings' index for the companies, and the identity's marker found by the
    # first-time read
    assert _sign_in_calls(aws, identity) == {"BatchGetItem": 3, "Query": 1}

    assert hub_link_backfill.list_hub_links(aws.clock.now()) == 1
    assert hub_link_backfill.list_identities() == 1
    record = publication_store.get_publication(key)
    assert record is not None and record.company_ids == {partner.company_id}
    assert record.next_due_at <= aws.clock.now()  # published again at the next tick
    item = identity_store.PortalHubIdentityModel.get(
        identity_store.links_key(identity.issuer, identity.subject))
    assert identity_store.links_of(item) == [(user.user_id, partner.company_id)]
    assert _sign_in_calls(aws, identity) == {"BatchGetItem": 2}

    hub_link_backfill.list_hub_links(aws.clock.now())  # again: nothing changes
    hub_link_backfill.list_identities()
    assert publication_store.get_publication(key) == record
    item.refresh()
    assert identity_store.links_of(item) == [(user.user_id, partner.company_id)]


def test_the_upgrade_lists_nothing_that_no_longer_holds(aws):
    partner, hub_company_id = partner_linked_to_a_hub(aws, "Gone")
    other = uuid.uuid4().hex
    # a company no longer linked to that hub company, a marker naming another user
    assert hub_link_backfill._list(aws.settings.hub_issuer, other, [partner.company_id],
                                   aws.clock.now()) == 0
    assert publication_store.get_publication(
        security_store.hub_link_key(aws.settings.hub_issuer, other)) is None
    identity = _identity(aws, hub_company_id)
    (user,) = hub_login.accounts_for(aws, identity)
    marker = identity_store.subject_marker(identity.issuer, identity.subject, partner.company_id)
    assert hub_link_backfill._add_link(marker, "someone-else", partner.company_id,
                                       identity.issuer, identity.subject) == 0
    item = identity_store.PortalHubIdentityModel.get(
        identity_store.links_key(identity.issuer, identity.subject))
    assert identity_store.links_of(item) == [(user.user_id, partner.company_id)]
