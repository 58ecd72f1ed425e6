"""While an organization is being deleted, its pages poll its status (static/sync-status.js):
the list's "(being deleted…)" and the organization page's notice name the status endpoint, which
answers "being deleted" in one read until the removal is done, then 404 (the page says it was
deleted: the list in place, the organization's own page by going to the list with a notice)."""

from __future__ import annotations

from chalicelib.itdocs import organizations
from chalicelib.itdocs.accounts import ItDocsUser
from chalicelib.itdocs.policy import ADMINISTRATOR, READ_ONLY
from chalicelib.runtime import Runtime
from chalicelib.storage import tables
from tests.conftest import unique
from tests.fakes import hold_sync_queue
from tests.itdocs.helpers import make_account, make_user, sign_in
from tests.web_client import WebClient

LIST = "/itdocs/organizations"


def _status_url(organization_id: str) -> str:
    return f"/itdocs/api/organizations/{organization_id}/status"


def _being_deleted(aws: Runtime, client: WebClient) -> tuple[str, str, object]:
    """An Administrator's organization marked for deletion, its removal held: (id, name, held)."""
    admin = make_user(make_account(), ADMINISTRATOR)
    name = unique("Doomed Ltd")
    organization = organizations.create(aws, ItDocsUser.of(admin), name)
    sign_in(client, admin)
    held = hold_sync_queue(aws)
    path = f"{LIST}/{organization.organization_id}/delete"
    client.get(path)
    assert client.post(path, {}).status == 303
    return organization.organization_id, name, held


def test_the_pages_poll_a_deletion_until_the_status_says_it_is_gone(aws, client):
    organization_id, name, held = _being_deleted(aws, client)
    url = _status_url(organization_id)

    listed = client.get(LIST).text
    assert f'data-removal-url="{url}" data-removing="yes"' in listed
    assert '<script src="/static/sync-status.js" defer></script>' in listed
    home = client.get(f"{LIST}/{organization_id}").text
    assert f'data-removal-url="{url}" data-removing="yes"' in home
    assert f'data-gone-url="{LIST}?done=organization_deleted&amp;name=' in home
    with tables.counting_calls() as calls:
        status = client.get(url)
    assert status.status == 200 and calls.total == 1
    assert status.json == {"organizationId": organization_id, "name": name,
                           "beingDeleted": True}

    held.deliver_all()
    assert client.get(url).status == 404
    assert f"{name} was deleted, with its contacts" in client.get(
        f"{LIST}?done=organization_deleted&name={name.replace(' ', '+')}").text


def test_an_organization_not_being_deleted_is_not_polled_and_others_are_not_shown(aws, client):
    account = make_account()
    kept = organizations.create(aws, ItDocsUser.of(make_user(account, ADMINISTRATOR)),
                                unique("Kept Ltd"))
    elsewhere = organizations.create(aws, ItDocsUser.of(make_user(make_account(), ADMINISTRATOR)),
                                     unique("Elsewhere"))
    sign_in(client, make_user(account, READ_ONLY))

    assert "data-removal-url" not in client.get(LIST).text
    assert client.get(_status_url(kept.organization_id)).json["beingDeleted"] is False
    assert client.get(_status_url(elsewhere.organization_id)).status == 404
