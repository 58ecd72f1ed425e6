"""DynamoDB calls of a "Log In with Hub" callback, per case, for the portal and IT Docs.

A callback redeems its code at the hub's token endpoint (another HTTP request, served in-process
here by the loopback transport) and then finds, links or creates the module's account and starts
its session. Each row counts both parts apart: the hub's token request (its own budget, 3), and
the module's own calls. The counts are deterministic; each row fails naming its case.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chalicelib import runtime
from chalicelib.errors import NotAuthenticated
from chalicelib.itdocs import hub_sign_in
from chalicelib.itdocs import signed_in as itdocs_signed_in
from chalicelib.itdocs.policy import EDITOR
from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import TECHNICIAN
from chalicelib.storage import tables
from chalicelib.storage.itdocs import users as itdocs_users
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account as make_hub_account
from tests.auth.sso.helpers import (
    hub_login_and_link,
    link_directly,
    path_of,
    use_loopback,
)
from tests.fakes import use_transport
from tests.itdocs.helpers import make_account as make_itdocs_account
from tests.itdocs.helpers import make_user as make_itdocs_user
from tests.portal.helpers import make_user
from tests.web_client import Reply, WebClient

HUB_TOKEN_BUDGET = 3


class CountingTransport:
    """The loopback transport, noting the DynamoDB calls of each request it serves (the hub's)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.hub_calls = 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        with tables.counting_calls() as counter:
            reply = self.inner.request(*args, **kwargs)
        self.hub_calls += counter.total
        return reply


@dataclass
class Split:
    """One request's calls: the hub's (token endpoint, through the transport) and the module's."""

    hub: int = 0
    module: int = 0
    operations: dict[str, int] | None = None


@contextmanager
def split_calls(transport: CountingTransport) -> Iterator[Split]:
    split = Split()
    transport.hub_calls = 0
    with tables.counting_calls() as counter:
        yield split
    split.hub = transport.hub_calls
    split.module = counter.total - transport.hub_calls
    split.operations = dict(counter.calls)


@pytest.fixture
def transport(aws: runtime.Runtime, client: WebClient) -> CountingTransport:
    counting = CountingTransport(use_loopback())
    use_transport(aws, counting)  # type: ignore[arg-type]
    client.get("/hub/oidc/jwks")  # the hub reads its signing keys once per runtime
    return counting


def _to_callback(browser: WebClient, module: str) -> str:
    """Start and authorize (both uncounted): the callback's path."""
    reply = browser.get(f"/{module}/sso/start?next=/{module}/")
    reply = browser.get(path_of(reply.location))
    assert reply.status == 303 and f"/{module}/sso/callback" in reply.location, reply
    return path_of(reply.location)


def _callback(browser: WebClient, module: str, transport: CountingTransport) -> tuple[Reply,
                                                                                      Split]:
    path = _to_callback(browser, module)
    with split_calls(transport) as split:
        reply = browser.get(path)
    return reply, split


def _assert_split(case: str, split: Split, module_calls: int) -> None:
    """The hub's token request within its budget (2: the code read, one transaction); the
    module's own calls exactly as counted (a change in either direction is noticed here)."""
    assert split.hub == 2, (case, split)
    assert split.hub <= HUB_TOKEN_BUDGET and "Scan" not in (split.operations or {}), (case, split)
    assert split.module == module_calls, (case, split)


def _portal(aws: runtime.Runtime):
    hub = make_hub_account(company_name="Hub MSP", username="sam")
    partner = companies.create_company(aws, "Partner MSP")
    admin = make_user(partner, username="sam-partner", email="sam@example.com")
    link_directly(partner.company_id, hub.company)
    return hub, partner, admin


def test_portal_steady_state_callback_of_a_linked_user(client, aws, transport):
    hub, _, admin = _portal(aws)
    hub_log_in(client, hub)
    assert hub_login_and_link(client, admin).status == 303
    client.cookies.pop("lh_portal_session", None)
    reply, split = _callback(client, "portal", transport)
    assert reply.status == 303 and reply.location == "/portal/", reply
    # the linked users (index query), them and their companies' settings (one BatchGetItem), and
    # one transaction: session, failures reset, last hub login
    _assert_split("portal linked user", split, module_calls=3)


def test_portal_first_link_on_the_link_page(client, aws, transport):
    hub, _, admin = _portal(aws)
    hub_log_in(client, hub)
    reply, split = _callback(client, "portal", transport)
    assert reply.location == "/portal/sso/link", reply
    _assert_split("portal callback to the link page", split, module_calls=5)


def test_portal_just_in_time_creation(client, aws, transport):
    hub, _, admin = _portal(aws)
    security_settings.set_auto_create(aws, admin, True, TECHNICIAN)
    nina = make_hub_account(username="nina", role="User", company=hub.company)
    hub_log_in(client, nina)
    reply, split = _callback(client, "portal", transport)
    assert reply.status == 303 and reply.location == "/portal/", reply
    # linked users, linked companies, email and username matches (none), the companies with their
    # settings (one BatchGetItem), user + markers + audit (one transaction), the session
    _assert_split("portal just-in-time creation", split, module_calls=7)


def _itdocs(aws: runtime.Runtime):
    hub = make_hub_account(company_name="Docs MSP", username="sam")
    account = make_itdocs_account("Docs MSP", hub_issuer=aws.settings.hub_issuer,
                                  hub_company_id=hub.company.company_id,
                                  hub_company_name=hub.company.name, jit_enabled=True)
    return hub, account


def test_itdocs_steady_state_callback_of_a_linked_user(client, aws, transport):
    hub, account = _itdocs(aws)
    user = make_itdocs_user(account, EDITOR, email="sam@example.com", name="Sam")
    itdocs_users.link_identity(user.user_id, aws.settings.hub_issuer, hub.user.user_id)
    hub_log_in(client, hub)
    reply, split = _callback(client, "itdocs", transport)
    assert reply.status == 303 and reply.location == "/itdocs/", reply
    # both markers (one BatchGetItem), the user, and the session start in one transaction
    # (`hub_sign_in.start_session`, tested below)
    _assert_split("itdocs linked user", split, module_calls=3)


def test_itdocs_just_in_time_creation(client, aws, transport):
    hub, _ = _itdocs(aws)
    hub_log_in(client, hub)
    reply, split = _callback(client, "itdocs", transport)
    assert reply.status == 303 and reply.location == "/itdocs/", reply
    # both markers, the email match (none), the account, the user (one transaction) and its audit
    # entry, and the session start (one transaction)
    _assert_split("itdocs just-in-time creation", split, module_calls=6)


def test_itdocs_hub_session_start_is_one_call_and_signs_in(aws):
    account = make_itdocs_account("Docs MSP")
    user = make_itdocs_user(account, EDITOR, email="sam@example.com", name="Sam")
    old_token, _ = hub_sign_in.start_session(aws, user, hub_sid="hub-sid-1")
    with tables.counting_calls() as counter:
        token, session = hub_sign_in.start_session(aws, user, hub_sid="hub-sid-2",
                                                   previous_token=old_token)
    assert counter.total == 1 and dict(counter.calls) == {"TransactWriteItems": 1}, counter
    resumed, who = itdocs_signed_in.resume(aws, token)
    assert who.user_id == user.user_id and resumed.hub_sid == "hub-sid-2"
    assert itdocs_users.get_user(user.user_id).last_login_at == session.created_at
    with pytest.raises(NotAuthenticated):
        itdocs_signed_in.resume(aws, old_token)  # the browser's previous session ended
