"""Account > Integrations: connect SaaS Protection against the app's own REST API, choose the
options, run a manual sync and see the card; errors on the form; who may reach these pages.

Connect, Change API keys and Start Manual Sync answer before the sync queue runs anything: the
tests hold the queue (`hold_sync_queue`) to see the page as the user does at that moment, then
deliver the messages as a worker would."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.itdocs import organizations
from chalicelib.itdocs.policy import ADMINISTRATOR, EDITOR, MANAGER, READ_ONLY
from chalicelib.portal import catalog
from tests.auth.sso.helpers import use_loopback
from tests.fakes import hold_sync_queue, use_transport
from tests.itdocs.helpers import make_account, make_user, setup_admin, sign_in
from tests.itdocs.menus import only_menu, submit
from tests.loopback import LoopbackTransport
from tests.portal.helpers import make_partner

NEW = "/itdocs/account/integrations/new/saas-protection"


@pytest.fixture
def partner(aws):
    use_loopback()
    return make_partner(customers=((catalog.OFFICE365, 7, True), (catalog.GOOGLE_WORKSPACE, 3,
                                                                   True)))


def connect(client, public_key: str, secret_key: str):
    client.get(NEW)
    return client.post(NEW, {"public_key": public_key, "secret_key": secret_key})


@pytest.mark.parametrize(("role", "allowed"), [
    (ADMINISTRATOR, True), (MANAGER, True), (EDITOR, False), (READ_ONLY, False)])
def test_only_administrators_and_managers_reach_integrations(client, aws, role, allowed):
    sign_in(client, make_user(make_account(), role))
    for path in ("/itdocs/account/integrations", "/itdocs/account/integrations/new", NEW):
        assert client.get(path).status == (200 if allowed else 403)


def test_read_only_users_cannot_connect_by_posting_anyway(client, partner):
    sign_in(client, make_user(make_account(), READ_ONLY))
    client.get("/itdocs/organizations")
    reply = client.post(NEW, {"public_key": partner.public_key, "secret_key": partner.secret})
    assert reply.status == 403


def _status_cell(text: str) -> str:
    """The status block of the first integration on a page."""
    start = text.index('<div class="sync-status"')
    return text[start:text.index("</span>\n  </div>\n</div>", start)]


def test_connect_answers_at_once_and_refused_keys_are_shown_with_the_reason(client, partner):
    sign_in(client, make_user(make_account(), MANAGER))
    held = hold_sync_queue(runtime.current())
    reply = connect(client, partner.public_key, "not-the-secret")
    assert reply.status == 303 and reply.location.endswith("/edit?connected=1")
    options = client.get(reply.location)
    cell = _status_cell(options.text)
    assert 'data-in-progress="yes"' in cell and ">Checking keys...</span>" in cell
    assert '<script src="/static/sync-status.js" defer></script>' in options.text

    held.deliver_all()
    listing = client.get("/itdocs/account/integrations")
    cell = _status_cell(listing.text)
    assert 'class="status-error">Error</span>' in cell and 'data-in-progress="no"' in cell
    assert "Keys refused: The SaaS Protection API keys were refused" in cell


def test_malformed_keys_are_said_on_the_form_and_nothing_is_stored(client, partner):
    sign_in(client, make_user(make_account(), MANAGER))
    reply = connect(client, partner.public_key, "   ")
    assert reply.status == 400 and 'role="alert"' in reply.text and "Secret Key" in reply.text
    assert f'value="{partner.public_key}"' in reply.text
    listing = client.get("/itdocs/account/integrations")
    assert "No integrations yet" in listing.text


def test_an_unreachable_host_is_shown_as_the_status(client, aws):
    rt = runtime.current()
    from app import app

    use_transport(rt, LoopbackTransport(app, "http://nowhere.invalid"))
    sign_in(client, make_user(make_account(), MANAGER))
    reply = connect(client, "a" * 32, "b" * 40)
    listing = client.get(reply.location)
    assert 'class="status-error">Error</span>' in listing.text
    assert "The keys could not be checked:" in listing.text
    assert "could not be reached" in listing.text


def test_the_procedure_from_new_to_a_card_on_an_organization(client, partner, aws):
    account = make_account()
    org_name = partner.organizations[0].name
    org = organizations.create(aws, setup_admin(account.account_id), org_name)
    sign_in(client, make_user(account, MANAGER))

    reply = connect(client, partner.public_key, partner.secret)
    assert reply.status == 303 and reply.location.endswith("/edit?connected=1")
    options = client.get(reply.location)
    assert "Sync SaaS Protection backup information" in options.text
    assert "Leave for Review" in options.text and "Accept All Automatically" in options.text
    edit_path = reply.location.split("?")[0]
    integration_id = edit_path.split("/")[-2]
    saved = client.post(edit_path, {"sync_enabled": "on", "matching": "accept"}, follow=True)
    assert "Accept All Automatically" in saved.text and "Matching" in saved.text

    # Actions > Start Manual Sync: the menu's form, posted as a browser without JavaScript would.
    listing = client.get("/itdocs/account/integrations")
    held = hold_sync_queue(runtime.current())
    start = only_menu(listing.text).item("Start Manual Sync")
    assert start.action == f"/itdocs/account/integrations/{integration_id}/sync"
    started = submit(client, start)
    assert "Manual sync started" in started.text and len(held.bodies) == 1
    cell = _status_cell(started.text)
    assert 'class="status-warn">Syncing...</span>' in cell and 'data-in-progress="yes"' in cell
    assert '<progress aria-label="Sync progress"' in cell
    assert "Fetching the customer list" in cell  # no worker has run yet
    held.deliver_all()
    done = client.get("/itdocs/account/integrations")
    assert 'class="status-ok">OK<' in done.text
    assert 'data-in-progress="no"' in done.text

    again = submit(client, only_menu(done.text).item("Start Manual Sync"), follow=False)
    assert again.status == 429 and "available at" in again.text
    assert int(again.headers["retry-after"]) > 0

    active = sum(1 for s in partner.seats[partner.customers[0].saas_customer_id]
                 if s.seat_state == catalog.ACTIVE)
    home = client.get(f"/itdocs/organizations/{org.organization_id}")
    assert f'<strong id="protected-seats">{active}</strong>' in home.text
    assert "Microsoft 365" in home.text and "not counted" in home.text

    logs = client.get(only_menu(done.text).item("Logs").href or "")
    assert logs.status == 200 and "manual" in logs.text.lower()


def test_an_integration_is_deleted_after_confirming(client, partner, aws):
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    connect(client, partner.public_key, partner.secret)
    delete = only_menu(client.get("/itdocs/account/integrations").text).item("Delete")
    confirm = client.get(delete.href or "")
    assert "Delete the SaaS Protection integration?" in confirm.text
    held = hold_sync_queue(runtime.current())
    marked = client.post(delete.href or "", {}, follow=True)
    assert "The SaaS Protection integration is being deleted" in marked.text
    assert 'class="status-warn">Being deleted…</span>' in _status_cell(marked.text)
    assert held.deliver_all() == 1
    done = client.get("/itdocs/account/integrations")
    assert "No integrations yet" in done.text


def test_another_accounts_integration_is_not_found(client, partner, aws):
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    integration_id = connect(client, partner.public_key, partner.secret).location.split("/")[-2]
    other = make_user(make_account(), ADMINISTRATOR)
    client.cookies.clear()
    sign_in(client, other)
    assert client.get(f"/itdocs/account/integrations/{integration_id}/edit").status == 404


class _Watcher:
    """Forwards to the REST API; before each customer's seats, reads what the user would see."""

    def __init__(self, inner: object, look: object) -> None:
        self.inner = inner
        self.look = look
        self.seen: list[object] = []

    def request(self, method: str, url: str, **kwargs: object) -> object:
        if url.split("?")[0].endswith("/seats"):
            self.seen.append(self.look())  # type: ignore[operator]
        return self.inner.request(method, url, **kwargs)  # type: ignore[attr-defined]


def _enabled_integration(client, partner) -> str:
    reply = connect(client, partner.public_key, partner.secret)
    edit_path = reply.location.split("?")[0]
    client.get(edit_path)
    client.post(edit_path, {"sync_enabled": "on", "matching": "review"})
    return edit_path.split("/")[-2]


def test_the_status_endpoint_and_the_page_show_progress_while_the_sync_runs(client, partner):
    rt = runtime.current()
    sign_in(client, make_user(make_account(), MANAGER))
    integration_id = _enabled_integration(client, partner)
    status_url = f"/itdocs/api/integrations/{integration_id}/status"
    held = hold_sync_queue(rt)
    client.get("/itdocs/account/integrations")
    client.post(f"/itdocs/account/integrations/{integration_id}/sync", {})
    waiting = client.get(status_url).json  # the request answered; no worker has run
    assert (waiting["status"], waiting["done"], waiting["total"]) == ("Syncing...", 0, 0)

    watcher = _Watcher(rt.transport.target,  # type: ignore[attr-defined]
                       lambda: (client.get(status_url).json,
                                client.get("/itdocs/account/integrations").text))
    use_transport(rt, watcher)  # type: ignore[arg-type]
    held.deliver_all()

    total = len(partner.customers)
    first, page = watcher.seen[0]  # type: ignore[misc]
    assert (first["status"], first["done"], first["total"]) == ("Syncing...", 0, total)
    assert first["inProgress"] is True
    assert f'<progress aria-label="Sync progress" max="{total}" value="0">' in page
    assert f"0 of {total} customers" in page
    assert len(watcher.seen) == total
    assert all(json["total"] == total and json["done"] < total
               for json, _ in watcher.seen)  # type: ignore[misc]
    finished = client.get(status_url).json
    assert (finished["status"], finished["inProgress"]) == ("OK", False)


@pytest.mark.parametrize(("role", "status"), [(EDITOR, 403), (READ_ONLY, 403)])
def test_the_status_endpoint_refuses_who_may_not_manage_integrations(client, partner, role,
                                                                     status):
    account = make_account()
    sign_in(client, make_user(account, MANAGER))
    integration_id = connect(client, partner.public_key, partner.secret).location.split("/")[-2]
    client.cookies.clear()
    assert client.get(f"/itdocs/api/integrations/{integration_id}/status").status == 401
    sign_in(client, make_user(account, role))
    assert client.get(f"/itdocs/api/integrations/{integration_id}/status").status == status


def test_the_status_endpoint_hides_another_accounts_integration(client, partner):
    sign_in(client, make_user(make_account(), MANAGER))
    integration_id = connect(client, partner.public_key, partner.secret).location.split("/")[-2]
    client.cookies.clear()
    sign_in(client, make_user(make_account(), ADMINISTRATOR))
    reply = client.get(f"/itdocs/api/integrations/{integration_id}/status")
    assert reply.status == 404 and integration_id not in reply.text
