"""First-time linking on the Partner Portal: only the account owner's proof links a hub identity.

The attack: a hub Master can create any hub user, with any username and email. A username or an
unverified email must therefore never link a portal user to that hub user; Security Admins and
Primary users are linked only with their own portal password, whatever the email.
"""

from __future__ import annotations

import threading

import pytest

from app import app
from chalicelib import runtime
from chalicelib.auth import throttle
from chalicelib.auth.hub import accounts as hub_accounts
from chalicelib.auth.hub import totp
from chalicelib.auth.sso import accounts, linking
from chalicelib.auth.sso.relying_party import HubIdentity
from chalicelib.errors import LoginFailed
from chalicelib.portal import companies, hub_linking, hub_login
from chalicelib.portal.policy import ADMINISTRATOR, PRIMARY, SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.hub import users as hub_store
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import portal_security_audit
from tests.auth.hub.helpers import PASSWORD as HUB_PASSWORD
from tests.auth.hub.helpers import Account, make_account
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.sso.helpers import hub_login_to_portal, link_directly, use_loopback
from tests.portal.helpers import PASSWORD, make_user, unique_name
from tests.web_client import WebClient

LINK = "/portal/sso/link"


@pytest.fixture
def setup(aws, client):
    """A hub company with a Master (the attacker), a partner linked to it, and its people."""
    use_loopback()
    master = make_account(company_name="Takeover Hub", username="mallory")
    partner = companies.create_company(aws, "Victim Partner")
    link_directly(partner.company_id, master.company)
    return master, partner


def master_creates(master: Account, username: str, email: str) -> Account:
    """The hub Master adds a user on the hub's Users page (any username, any email)."""
    rt = runtime.current()
    user = hub_accounts.create_user(rt, master.user, username=username, email=email,
                                    name="Look-alike", password=HUB_PASSWORD, role="User",
                                    modules=["portal"])
    secret = totp.new_secret()
    user = hub_store.update_user(
        user.user_id, totp_secret=rt.box.encrypt(secret.encode(), f"totp:{user.user_id}"))
    return Account(master.company, user, HUB_PASSWORD, secret)


def identity_for(rt, master: Account, *, email: str, username: str, verified: bool,
                 subject: str = "hub-user-1") -> HubIdentity:
    return HubIdentity(issuer=rt.settings.hub_issuer, subject=subject, email=email,
                       email_verified=verified, username=username, name="Hub User",
                       hub_company_id=master.company.company_id,
                       hub_company_name=master.company.name, hub_role="User", sid="sid")


@pytest.mark.parametrize("role", [SECURITY_ADMIN, PRIMARY, ADMINISTRATOR])
def test_a_hub_master_cannot_sign_in_as_a_guarded_user_with_their_username_and_email(
        client, setup, role):
    master, partner = setup
    victim = make_user(partner, username="victor", email="victor@victim.example", role=role)
    look_alike = master_creates(master, "victor", "victor@victim.example")

    hub_log_in(client, look_alike)
    reply = hub_login_to_portal(client)

    assert reply.status == 303 and reply.location == LINK
    assert "lh_portal_session" not in client.cookies
    page = client.get(LINK)
    assert page.status == 200 and "Link your accounts" in page.text and "victor" in page.text
    for guess in ("", "victor", "blue-harbour-lantern-41"):
        refused = client.post(LINK, {"user_id": victim.user_id, "password": guess})
        assert refused.status == 401 and "password is incorrect" in refused.text
    assert "lh_portal_session" not in client.cookies
    assert client.get("/portal/").status == 303
    assert identity_store.identity_of_user(victim.user_id) is None
    assert portal_store.get_user(victim.user_id).status == "active"


def test_the_owner_links_once_with_the_portal_password_and_it_is_audited(client, setup):
    master, partner = setup
    owner = make_user(partner, username="olivia", email="olivia@victim.example",
                      role=SECURITY_ADMIN)
    hub_olivia = master_creates(master, "olivia", "olivia@victim.example")
    hub_log_in(client, hub_olivia)
    hub_login_to_portal(client)
    client.get(LINK)
    reply = client.post(LINK, {"user_id": owner.user_id, "password": PASSWORD})
    assert reply.status == 303 and reply.location == "/portal/"
    assert owner.name in client.get("/portal/").text
    link = identity_store.identity_of_user(owner.user_id)
    assert link is not None and link.subject == hub_olivia.user.user_id
    trail = portal_security_audit.audit_of(partner.company_id)
    assert trail[0].action == "Linked to hub" and "olivia" in trail[0].detail
    client.cookies.pop("lh_portal_session")
    assert hub_login_to_portal(client).location == "/portal/"  # by (issuer, subject) now


def test_the_link_page_refuses_an_account_it_did_not_offer(client, setup, aws):
    master, partner = setup
    make_user(partner, username="tess", email="tess@victim.example", role=TECHNICIAN)
    other_partner = companies.create_company(aws, "Other Partner")
    link_directly(other_partner.company_id, master.company)
    stranger = make_user(other_partner, username="sid", role=SECURITY_ADMIN)
    hub_tess = master_creates(master, "tess", "tess@victim.example")
    hub_log_in(client, hub_tess)
    hub_login_to_portal(client)
    client.get(LINK)
    reply = client.post(LINK, {"user_id": stranger.user_id, "password": PASSWORD})
    assert reply.status == 401 and "lh_portal_session" not in client.cookies
    assert identity_store.identity_of_user(stranger.user_id) is None


def test_a_link_cookie_sealed_for_another_module_or_forged_is_refused(client, setup, aws):
    master, partner = setup
    victim = make_user(partner, username="vera", role=SECURITY_ADMIN)
    identity = identity_for(aws, master, email="x@example.com", username="vera", verified=False)
    for cookie in (linking.seal(aws, "itdocs", identity, [victim.user_id]),
                   linking.seal(aws, "portal", identity, [victim.user_id])[:-2] + "xx"):
        browser = WebClient(app)
        browser.cookies["lh_portal_sso_link"] = cookie
        browser.get("/portal/login")
        reply = browser.post(LINK, {"user_id": victim.user_id, "password": PASSWORD})
        assert reply.status == 401 and "lh_portal_session" not in browser.cookies
    assert identity_store.identity_of_user(victim.user_id) is None


def test_wrong_passwords_on_the_link_page_count_and_a_locked_account_is_refused(
        client, setup, frozen_time):
    master, partner = setup
    tess = make_user(partner, username="tess", email="tess@victim.example", role=TECHNICIAN)
    hub_log_in(client, master_creates(master, "tess", "tess@victim.example"))
    hub_login_to_portal(client)
    client.get(LINK)
    for _ in range(throttle.FREE_FAILURES):
        assert client.post(LINK, {"user_id": tess.user_id, "password": "wrong"}).status == 401
    assert portal_store.get_user(tess.user_id).failures >= throttle.FREE_FAILURES
    refused = client.post(LINK, {"user_id": tess.user_id, "password": PASSWORD})
    assert refused.status == 401 and identity_store.identity_of_user(tess.user_id) is None


def test_a_username_match_alone_never_links(setup, aws):
    master, partner = setup
    tech = make_user(partner, username="terry", email="terry@victim.example", role=TECHNICIAN)
    identity = identity_for(aws, master, email="someone@else.example", username="terry",
                            verified=True)
    with pytest.raises(accounts.LinkRequired) as required:
        hub_login.accounts_for(aws, identity)
    assert required.value.account_ids == [tech.user_id]
    assert identity_store.identity_of_user(tech.user_id) is None


def test_a_verified_email_links_an_ordinary_user(setup, aws):
    master, partner = setup
    tech = make_user(partner, username="terry", email="terry@victim.example", role=TECHNICIAN)
    identity = identity_for(aws, master, email="Terry@victim.example", username="t2",
                            verified=True)
    assert [u.user_id for u in hub_login.accounts_for(aws, identity)] == [tech.user_id]
    assert identity_store.identity_of_user(tech.user_id) is not None


@pytest.mark.parametrize("role", [SECURITY_ADMIN, PRIMARY, ADMINISTRATOR])
def test_a_verified_email_never_links_a_security_admin_primary_or_administrator(setup, aws, role):
    master, partner = setup
    guarded = make_user(partner, username="gina", email="gina@victim.example", role=role)
    identity = identity_for(aws, master, email="gina@victim.example", username="gina",
                            verified=True)
    with pytest.raises(accounts.LinkRequired):
        hub_login.accounts_for(aws, identity)
    assert identity_store.identity_of_user(guarded.user_id) is None


def test_with_no_matching_user_automatic_creation_is_unchanged(setup, aws):
    from chalicelib.portal import security_settings

    master, partner = setup
    admin = make_user(partner, username="sadie", role=SECURITY_ADMIN)
    security_settings.set_auto_create(aws, admin, True, TECHNICIAN)
    identity = identity_for(aws, master, email="new@example.com", username="newbie",
                            verified=False)
    created = hub_login.accounts_for(aws, identity)
    assert len(created) == 1 and created[0].role == TECHNICIAN


@pytest.mark.ddblocal
def test_on_dynamodb_local_40_parallel_guesses_on_the_link_page_evaluate_at_most_the_limit(ddb):
    company = companies.create_company(ddb, unique_name("Race Partner"))
    master = make_account(company_name=unique_name("Race Hub"), username="mallory")
    link_directly(company.company_id, master.company)
    victim = make_user(company, role=SECURITY_ADMIN)
    identity = identity_for(ddb, master, email=victim.email, username=victim.username,
                            verified=False)
    cookie = linking.seal(ddb, "portal", identity, [victim.user_id])
    barrier = threading.Barrier(40)
    outcomes: list[str] = []

    def guess(password: str) -> None:
        barrier.wait()
        try:
            hub_linking.link_with_password(ddb, cookie, victim.user_id, password)
            outcomes.append("linked")
        except LoginFailed:
            outcomes.append("refused")

    guesses = [f"wrong-guess-{i}" for i in range(39)] + [PASSWORD]
    threads = [threading.Thread(target=guess, args=(p,)) for p in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 40
    evaluated = portal_store.get_user(victim.user_id).failures
    assert evaluated <= throttle.FREE_FAILURES  # refused attempts were never evaluated
    if "linked" not in outcomes:  # the right password was not among the few evaluated
        assert identity_store.identity_of_user(victim.user_id) is None
