"""Admin > Security Settings: linking with a hub Master, Require Log In with Hub, exemptions."""

from __future__ import annotations

import pytest

from chalicelib.portal import companies, scheduled, security_settings
from chalicelib.portal.policy import ADMINISTRATOR, PRIMARY, SECURITY_ADMIN, TECHNICIAN
from chalicelib.storage.portal import hub_identities as identity_store
from chalicelib.storage.portal import users as portal_store
from chalicelib.storage.portal.audit import portal_security_audit
from tests.auth.hub.helpers import log_in as hub_log_in
from tests.auth.hub.helpers import make_account
from tests.auth.sso.helpers import link_directly, path_of, use_loopback
from tests.portal.helpers import log_in, make_user

# The one Security Settings form as the fixtures leave it: Require on, the default role unchanged.
ON = {"require_hub_login": "on", "default_role": "Read Only"}


@pytest.fixture
def partner(aws, client):
    use_loopback()
    company = companies.create_company(aws, "Secure Partner")
    admin = make_user(company, username="sadmin", email="sam@example.com")
    return company, admin


def enable_link(client, hub_account) -> object:
    """As the signed-in portal user: Enable Login with Hub, then the hub login as hub_account;
    returns the confirmation step ("You are signed in to the hub as ... Link?")."""
    hub_log_in(client, hub_account)
    client.get("/portal/admin/security")
    reply = client.post("/portal/admin/security/link")
    assert reply.status == 303 and "/hub/oidc/authorize" in reply.location, reply
    reply = client.get(path_of(reply.location))
    assert reply.status == 303 and "/portal/sso/callback" in reply.location, reply
    reply = client.get(path_of(reply.location))
    assert reply.status == 303 and reply.location == "/portal/admin/security/link", reply
    return client.get(reply.location)


def test_a_security_admin_and_a_hub_master_enable_login_with_hub(client, partner, aws):
    company, admin = partner
    master = make_account(company_name="Master Hub", username="sam")
    log_in(client, admin.username)
    confirm = enable_link(client, master)
    assert confirm.status == 200 and "You are signed in to the hub as" in confirm.text
    assert not security_settings.security_settings(aws, company.company_id).linked
    reply = client.post("/portal/admin/security/link/confirm",
                        {"subject": master.user.user_id}, csrf=confirm.csrf)
    assert reply.status == 303 and reply.location.startswith("/portal/admin/security?done=")
    page = client.get(reply.location)
    assert "Login with Hub is <strong>enabled</strong>" in page.text
    assert "Master Hub" in page.text and "Enabled Login with Hub" in page.text
    settings = security_settings.security_settings(aws, company.company_id)
    assert settings.linked and settings.hub_company_id == master.company.company_id
    assert security_settings.companies_linked_to(
        aws, aws.settings.hub_issuer, master.company.company_id) == [company.company_id]


def test_a_hub_user_who_is_not_a_master_cannot_complete_the_link(client, partner, aws):
    company, admin = partner
    plain = make_account(company_name="Plain Hub", username="pat", role="User")
    log_in(client, admin.username)
    page = enable_link(client, plain)
    assert "Only a Master user of the hub" in page.text and "Continue" not in page.text
    reply = client.post("/portal/admin/security/link/confirm",
                        {"subject": plain.user.user_id}, csrf=page.csrf)
    assert reply.status == 403 and "Only a Master user of the hub" in reply.text
    assert not security_settings.security_settings(aws, company.company_id).linked


def test_only_a_security_admin_may_enable_login_with_hub(client, partner, aws):
    company, _ = partner
    primary = make_user(company, username="prim", role=PRIMARY)
    log_in(client, primary.username)
    assert client.get("/portal/admin/security").status == 403
    client.get("/portal/login")
    reply = client.post("/portal/admin/security/link")
    assert reply.status == 403
    assert "/hub/oidc/authorize" not in reply.location
    master = make_account(company_name="Master Hub", username="sam")
    identity = _identity(aws, master, purpose="link")
    with pytest.raises(Exception, match="Security Admin"):
        security_settings.complete_link(aws, primary, identity)
    assert not security_settings.security_settings(aws, company.company_id).linked


def _identity(rt, account, purpose="login"):
    from chalicelib.auth.sso.relying_party import HubIdentity

    return HubIdentity(issuer=rt.settings.hub_issuer, subject=account.user.user_id,
                       email=account.user.email, email_verified=True,
                       username=account.user.username, name=account.user.name,
                       hub_company_id=account.company.company_id,
                       hub_company_name=account.company.name, hub_role=account.user.role,
                       sid="sid", purpose=purpose, access_token="not-a-token")


@pytest.fixture
def required(partner, aws):
    """Linked, Require Log In with Hub on, and one user of every kind."""
    company, admin = partner
    hub = make_account(company_name="Required Hub", username="sam")
    link_directly(company.company_id, hub.company)
    security_settings.set_require(aws, admin, True)
    people = {
        "primary": make_user(company, username="prim", role=PRIMARY),
        "plain": make_user(company, username="tech", role=TECHNICIAN),
        "excepted": make_user(company, username="exc", role=ADMINISTRATOR),
        "shared": make_user(company, username="shared", role=TECHNICIAN,
                            email="shared@example.com"),
    }
    other = companies.create_company(aws, "Other Partner")
    make_user(other, username="shared-elsewhere", email="shared@example.com", role=TECHNICIAN)
    security_settings.set_exception(aws, admin, people["excepted"].user_id, True)
    return admin, people


def test_security_admin_and_primary_log_in_locally_while_require_is_on(client, required):
    admin, people = required
    assert log_in(client, admin.username).status == 303
    assert log_in(client, people["primary"].username).status == 303


def test_an_exception_user_logs_in_locally(client, required):
    _, people = required
    assert log_in(client, people["excepted"].username).status == 303


def test_a_plain_user_is_told_to_use_the_hub(client, required):
    _, people = required
    reply = log_in(client, people["plain"].username)
    assert reply.status == 401
    assert "requires Log In with Hub" in reply.text and "Log In with Hub</a>" in reply.text
    assert "lh_portal_session" not in client.cookies


def test_a_wrong_password_still_gets_the_generic_error(client, required):
    _, people = required
    reply = log_in(client, people["plain"].username, password="wrong-password-123")
    assert reply.status == 401 and "requires Log In with Hub" not in reply.text


def test_a_user_whose_email_is_in_several_companies_needs_an_exception_here(client, required,
                                                                            aws):
    admin, people = required
    reply = log_in(client, people["shared"].username)
    assert reply.status == 401 and "requires Log In with Hub" in reply.text
    security_settings.set_exception(aws, admin, people["shared"].user_id, True)
    assert log_in(client, people["shared"].username).status == 303


def test_another_partners_administrator_cannot_switch_require_off_for_a_victim(client, required,
                                                                             aws):
    admin, people = required
    victim = people["plain"]
    other = companies.create_company(aws, "Attacker Partner")
    attacker = make_user(other, username="mallory", role=ADMINISTRATOR)
    log_in(client, attacker.username)
    client.get("/portal/admin/users")
    reply = client.post("/portal/admin/users", {
        "username": "victim-copy", "email": victim.email.upper(), "name": "Copy",
        "role": TECHNICIAN, "password": "mallory-knows-this-one-77"})
    assert reply.status == 303, reply
    copy = portal_store.get_user(portal_store.user_id_by_username_key("victim-copy"))
    assert copy.status == "active" and copy.company_id == other.company_id
    # ...even linked to a hub identity (what "proven" would have had to rest on)
    identity_store.link_identity(copy.user_id, other.company_id, aws.settings.hub_issuer,
                                 "attacker-hub-subject", aws.clock.now())
    client.cookies.clear()

    reply = log_in(client, victim.username)
    assert reply.status == 401 and "requires Log In with Hub" in reply.text
    assert "lh_portal_session" not in client.cookies
    reply = log_in(client, victim.email)  # by email too: no password way in for the victim
    assert reply.status == 401 and "lh_portal_session" not in client.cookies
    log_in(client, admin.username)
    row = client.get("/portal/admin/security").text.split(
        f'data-username="{victim.username}"', 1)[1].split("</tr>", 1)[0]
    assert "<td>No" in row and "always exempt" not in row


def test_turning_require_off_lets_everyone_use_their_password(client, required, aws):
    admin, people = required
    security_settings.set_require(aws, admin, False)
    assert log_in(client, people["plain"].username).status == 303


def test_exceptions_are_added_and_deleted_on_the_page_and_audited(client, required, aws):
    admin, people = required
    log_in(client, admin.username)
    page = client.get("/portal/admin/security")
    assert "Always exempt" in page.text and "Security Admins, Primary users" in page.text
    assert "User Exceptions" in page.text
    row = page.text.split('data-username="tech"', 1)[1].split("</tr>", 1)[0]
    assert "<td>No" in row
    client.post("/portal/admin/security", {**ON, "add_exception": people["plain"].user_id})
    page = client.get("/portal/admin/security")
    row = page.text.split('data-username="tech"', 1)[1].split("</tr>", 1)[0]
    assert "<td>Yes" in row
    assert "Added user exception" in page.text and "sadmin" in page.text
    client.post("/portal/admin/security", {**ON, "delete_exception": people["plain"].user_id})
    assert people["plain"].user_id not in security_settings.security_settings(
        aws, admin.company_id).exceptions
    assert "Deleted user exception" in client.get("/portal/admin/security").text


def test_disabling_the_link_turns_off_what_needs_it(client, required, aws):
    admin, people = required
    security_settings.set_auto_create(aws, admin, True, TECHNICIAN)
    security_settings.set_auto_deactivate(aws, admin, True)
    log_in(client, admin.username)
    client.get("/portal/admin/security")
    reply = client.post("/portal/admin/security/unlink", follow=True)
    assert "Enable Login with Hub" in reply.text and "Disabled Login with Hub" in reply.text
    settings = security_settings.security_settings(aws, admin.company_id)
    assert not (settings.linked or settings.require_hub_login or settings.auto_create_users
                or settings.auto_deactivate_users)
    assert log_in(client, people["plain"].username).status == 303


def test_settings_that_need_the_link_are_refused_without_it(partner, aws):
    _, admin = partner
    with pytest.raises(Exception, match="Enable Login with Hub first"):
        security_settings.set_require(aws, admin, True)


def test_the_default_jit_role_is_the_lowest_and_guarded_roles_are_refused(required, aws, client):
    admin, _ = required
    assert security_settings.security_settings(aws, admin.company_id).default_role == "Read Only"
    with pytest.raises(Exception, match="default role"):
        security_settings.set_auto_create(aws, admin, True, SECURITY_ADMIN)
    log_in(client, admin.username)
    client.get("/portal/admin/security")
    reply = client.post("/portal/admin/security",
                        {**ON, "auto_create_users": "on", "default_role": TECHNICIAN}, follow=True)
    assert "Automatic User Creation" in reply.text and "on, default role Technician" in reply.text
    reply = client.post("/portal/admin/security",
                        {**ON, "auto_create_users": "on", "default_role": TECHNICIAN,
                         "auto_deactivate_users": "on"}, follow=True)
    assert security_settings.security_settings(aws, admin.company_id).auto_deactivate_users
    reply = client.post("/portal/admin/security", {**ON, "default_role": SECURITY_ADMIN})
    assert reply.status == 400 and "default role" in reply.text
    entries = portal_security_audit.audit_of(admin.company_id)
    assert any(e.action == "Automatic User Deactivation" and e.actor == "sadmin" for e in entries)


def test_every_security_change_is_on_the_audit_log_with_who_and_when(client, required, aws,
                                                                      frozen_time):
    admin, people = required
    log_in(client, admin.username)
    client.get("/portal/admin/security")
    frozen_time.advance(minutes=7)
    client.post("/portal/admin/security", {"default_role": "Read Only"})  # Require off
    client.get("/portal/admin/security")
    client.post("/portal/admin/security",
                {"default_role": "Read Only", "add_exception": people["plain"].user_id})
    page = client.get("/portal/admin/security")
    table = page.text.split('id="security-audit"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr>")[2:]
    when = frozen_time.now().strftime("%Y-%m-%d %H:%M UTC")
    assert any("Require Log In with Hub" in row and "sadmin" in row and when in row
               for row in rows), table
    assert any("exception" in row.lower() and "sadmin" in row and when in row
               for row in rows), table


def test_the_hub_keeps_the_module_link_until_the_last_partner_disables(client, aws):
    """Two partner companies linked to one hub company: the first to disable leaves the hub's
    link to the portal module in place; the last one's disable removes it, at the portal tick
    that follows (the page says it waits for the hub until then)."""
    from chalicelib.storage.hub import companies as hub_companies

    use_loopback()
    hub = make_account(company_name="Shared Hub", username="sam")
    hub_companies.set_company_module(hub.company.company_id, "portal",
                                     {"launch_url": "http://localhost:8000/portal/sso/launch"})
    admins = []
    for name in ("First Sharing Partner", "Second Sharing Partner"):
        company = companies.create_company(aws, name)
        link_directly(company.company_id, hub.company)
        admins.append(make_user(company, username=name.split()[0].lower() + "-admin"))
    for admin, still_linked in zip(admins, (True, False), strict=True):
        client.cookies.clear()
        log_in(client, admin.username)
        client.get("/portal/admin/security")
        reply = client.post("/portal/admin/security/unlink", follow=True)
        assert "Disabled Login with Hub" in reply.text
        assert 'id="hub-unlink-pending"' in reply.text
        assert "portal" in hub_companies.get_company(hub.company.company_id).linked_modules
        scheduled.tick(aws)
        modules = hub_companies.get_company(hub.company.company_id).linked_modules
        assert ("portal" in modules) is still_linked, admin.username
        assert 'id="hub-unlink-pending"' not in client.get("/portal/admin/security").text
