"""While an integration is being deleted, its pages say why the removal waits and until when:
a sync run that held its lease at the mark may write for up to 15 minutes, so the removal starts
by then ("Waiting for the sync run in progress to stop; removal starts by" the time, shown in the
viewer's time zone as every time on these pages); after it, they say the removal is under way."""

from __future__ import annotations

from chalicelib import runtime
from chalicelib.itdocs.policy import ADMINISTRATOR
from chalicelib.portal import catalog
from chalicelib.sync.integrations import REMOVING
from chalicelib.sync.lifecycle import LEASE
from chalicelib.web.templates import format_when
from tests.auth.sso.helpers import use_loopback
from tests.fakes import hold_sync_queue
from tests.itdocs.helpers import make_account, make_user, sign_in
from tests.itdocs.menus import only_menu
from tests.portal.helpers import make_partner

INTEGRATIONS = "/itdocs/account/integrations"
NEW = f"{INTEGRATIONS}/new/saas-protection"
WAITING = "Waiting for the sync run in progress to stop; removal starts by"


def _enabled(client: object, aws: object) -> str:
    """An Administrator's integration with sync on; its id."""
    use_loopback()
    partner = make_partner(customers=((catalog.OFFICE365, 3, True),))
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    client.get(NEW)  # type: ignore[attr-defined]
    edit = client.post(NEW, {"public_key": partner.public_key,  # type: ignore[attr-defined]
                             "secret_key": partner.secret}).location.split("?")[0]
    client.get(edit)  # type: ignore[attr-defined]
    client.post(edit, {"sync_enabled": "on", "matching": "review"})  # type: ignore[attr-defined]
    return str(edit.split("/")[-2])


def _delete(client: object, integration_id: str) -> None:
    delete = only_menu(client.get(INTEGRATIONS).text).item("Delete")  # type: ignore[attr-defined]
    assert delete.href == f"{INTEGRATIONS}/{integration_id}/delete"
    client.get(delete.href)  # type: ignore[attr-defined]
    assert client.post(delete.href, {}).status == 303  # type: ignore[attr-defined]


def test_deleting_during_a_sync_shows_when_the_removal_starts_then_that_it_is_under_way(
        client, aws):
    rt = runtime.current()
    integration_id = _enabled(client, aws)
    held = hold_sync_queue(rt)
    client.get(INTEGRATIONS)
    client.post(f"{INTEGRATIONS}/{integration_id}/sync", {})  # the run holds its lease
    marked_at = rt.clock.now()
    _delete(client, integration_id)

    starts_by = format_when(marked_at + LEASE)
    listed = client.get(INTEGRATIONS).text
    assert "Being deleted…" in listed
    assert f"{WAITING} {starts_by}." in listed
    assert 'data-local>' in starts_by  # the browser shows it in the viewer's time zone
    logs = client.get(f"{INTEGRATIONS}/{integration_id}/logs").text
    assert f"{WAITING} {starts_by}." in logs
    status = client.get(f"/itdocs/api/integrations/{integration_id}/status").json
    assert status["status"] == "Being deleted…"
    assert status["statusReason"] == f"{WAITING} {(marked_at + LEASE):%H:%M} UTC."

    rt.clock.advance(seconds=LEASE.total_seconds())  # the run can no longer write
    listed = client.get(INTEGRATIONS).text
    assert WAITING not in listed and REMOVING in listed
    assert REMOVING in client.get(f"{INTEGRATIONS}/{integration_id}/logs").text

    held.deliver_all()  # the run's message (stale now) and the removal
    assert "No integrations yet" in client.get(INTEGRATIONS).text


def test_deleting_with_no_sync_running_says_the_removal_is_under_way(client, aws):
    rt = runtime.current()
    integration_id = _enabled(client, aws)
    held = hold_sync_queue(rt)
    _delete(client, integration_id)

    listed = client.get(INTEGRATIONS).text
    assert "Being deleted…" in listed and REMOVING in listed and WAITING not in listed
    assert held.deliver_all() == 1
    assert "No integrations yet" in client.get(INTEGRATIONS).text


def _status_element(page: str, integration_id: str) -> str:
    """The opening tag of the integration's status element as the page renders it."""
    start = page.index(f'id="sync-status-{integration_id}"')
    return page[page.rindex("<div", 0, start):page.index(">", start) + 1]


def test_the_status_follows_a_removal_waiting_for_a_run_then_under_way_then_gone(client, aws):
    rt = runtime.current()
    integration_id = _enabled(client, aws)
    held = hold_sync_queue(rt)
    client.get(INTEGRATIONS)
    client.post(f"{INTEGRATIONS}/{integration_id}/sync", {})
    marked_at = rt.clock.now()
    _delete(client, integration_id)
    status_url = f"/itdocs/api/integrations/{integration_id}/status"

    tag = _status_element(client.get(INTEGRATIONS).text, integration_id)
    assert 'data-in-progress="yes"' in tag and 'data-removing="yes"' in tag  # the script polls
    assert "data-gone-url" not in tag  # the list says "Deleted" in place
    edit = _status_element(client.get(f"{INTEGRATIONS}/{integration_id}/edit").text,
                           integration_id)
    assert f'data-gone-url="{INTEGRATIONS}?done=integration_deleted"' in edit
    waiting = client.get(status_url).json
    assert (waiting["beingDeleted"], waiting["inProgress"]) == (True, False)
    assert waiting["removalStartsBy"] == (marked_at + LEASE).isoformat(timespec="seconds")

    rt.clock.advance(seconds=LEASE.total_seconds())
    under_way = client.get(status_url).json
    assert (under_way["beingDeleted"], under_way["removalStartsBy"]) == (True, None)
    assert under_way["statusReason"] == REMOVING

    held.deliver_all()
    gone = client.get(status_url)
    assert gone.status == 404  # what the polling page takes as "deleted"
    assert "The SaaS Protection integration was deleted" in client.get(
        f"{INTEGRATIONS}?done=integration_deleted").text


def test_an_integration_not_being_deleted_is_polled_only_while_a_sync_runs(client, aws):
    integration_id = _enabled(client, aws)

    tag = _status_element(client.get(INTEGRATIONS).text, integration_id)
    assert 'data-in-progress="no"' in tag and 'data-removing="no"' in tag
    status = client.get(f"/itdocs/api/integrations/{integration_id}/status").json
    assert (status["beingDeleted"], status["removalStartsBy"]) == (False, None)
