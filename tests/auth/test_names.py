"""Look-alike names: zero-width and bidirectional-control characters are refused everywhere a
username, company name or display name is chosen (hub, Partner Portal, IT Docs)."""

from __future__ import annotations

import pytest

from chalicelib import runtime
from chalicelib.auth import names
from chalicelib.auth.hub import accounts as hub_accounts
from chalicelib.errors import InvalidInput
from chalicelib.itdocs import accounts as itdocs_accounts
from chalicelib.portal import companies as portal_companies
from chalicelib.storage.hub import users as hub_user_store
from tests.auth.hub.oidc.flow import signed_in
from tests.portal.helpers import make_partner, make_user

ZERO_WIDTH_SPACE, RIGHT_TO_LEFT_OVERRIDE = "\u200b", "\u202e"
HIDDEN = [ZERO_WIDTH_SPACE, RIGHT_TO_LEFT_OVERRIDE, "\u200d", "\u2066", "\ufeff", "\u00a0",
          "\u2028", "\u3000", "\x07", "\ue000"]


@pytest.mark.parametrize("hidden", [ZERO_WIDTH_SPACE, RIGHT_TO_LEFT_OVERRIDE])
def test_a_master_cannot_create_a_look_alike_hub_username(client, hidden):
    account = signed_in(client)
    client.get("/hub/admin/users")
    reply = client.post("/hub/admin/users", {
        "username": f"ali{hidden}ce", "email": "twin@example.com", "name": "Alice",
        "password": "another-long-passphrase-9", "role": "Master", "module_portal": "on"})
    assert reply.status == 303  # back to the form, which tells why
    assert "invisible or control character" in client.get("/hub/admin/users").text
    listed = [u.username for u in hub_user_store.users_of_company(account.company.company_id)]
    assert listed == ["alice"]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_hub_names_refuse_categories_c_and_z(aws, hidden):
    rt = runtime.current()
    with pytest.raises(InvalidInput) as refused:
        hub_accounts.create_company(rt, f"Acme{hidden} MSP")
    assert refused.value.field == "company"
    company = hub_accounts.create_company(rt, "Acme MSP")
    for field, values in (("username", {"username": f"bo{hidden}b"}),
                          ("name", {"name": f"Bob{hidden} Smith"})):
        args = {"username": "bob", "email": "bob@example.com", "name": "Bob Smith",
                "password": "another-long-passphrase-9"} | values
        with pytest.raises(InvalidInput) as refused:
            hub_accounts.create_user_at_setup(rt, company, **args)
        assert refused.value.field == field


def test_portal_and_itdocs_names_refuse_zero_width_and_bidi(aws):
    rt = runtime.current()
    with pytest.raises(InvalidInput):
        portal_companies.create_company(rt, f"Partner{RIGHT_TO_LEFT_OVERRIDE}Co")
    partner = make_partner()
    with pytest.raises(InvalidInput):
        make_user(partner.company, username=f"sec{ZERO_WIDTH_SPACE}admin")
    with pytest.raises(InvalidInput):
        itdocs_accounts.create_account(rt, f"Docs{RIGHT_TO_LEFT_OVERRIDE} Inc")
    account = itdocs_accounts.create_account(rt, "Docs Inc")
    with pytest.raises(InvalidInput):
        itdocs_accounts.create_user(rt, account.account_id, email="x@example.com",
                                    name=f"Ad{ZERO_WIDTH_SPACE}min", role="Administrator")


def test_ordinary_names_still_pass():
    assert names.check_company_name("Müller & Söhne GmbH") == "Müller & Söhne GmbH"
    assert names.check_display_name("José O'Brien-Łukasz 山田") == "José O'Brien-Łukasz 山田"
    assert names.check_username("j.doe_2") == "j.doe_2"
    with pytest.raises(InvalidInput):
        names.check_username("j doe")
