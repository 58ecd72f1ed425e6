"""Admin > Security Settings as the article reads: one form, one Save, User Exceptions with the
Require toggle, icon buttons named Add and Delete, the flash shown once."""

from __future__ import annotations

import re

import pytest

from chalicelib.portal import companies, security_settings
from chalicelib.portal.policy import PRIMARY, TECHNICIAN
from chalicelib.storage.portal.audit import portal_security_audit
from tests.auth.hub.helpers import make_account
from tests.auth.sso.helpers import link_directly, use_loopback
from tests.portal.helpers import log_in, make_user

SECURITY = "/portal/admin/security"


@pytest.fixture
def linked(aws, client):
    """A partner linked to a hub company, every setting off; its Security Admin signed in."""
    use_loopback()
    company = companies.create_company(aws, "Form Partner")
    admin = make_user(company, username="sadmin", email="sam@example.com")
    people = {"primary": make_user(company, username="prim", role=PRIMARY),
              "tech": make_user(company, username="tech", role=TECHNICIAN)}
    link_directly(company.company_id, make_account(company_name="Form Hub", username="sam").company)
    log_in(client, admin.username)
    return admin, people


def _row(text: str, username: str) -> str:
    return text.split(f'data-username="{username}"', 1)[1].split("</tr>", 1)[0]


def _exceptions_section(text: str) -> str:
    return re.search(r'<div id="user-exceptions-section"[^>]*>', text).group(0)


def test_one_save_keeps_all_three_settings_and_the_role(client, linked, aws):
    admin, _ = linked
    page = client.get(SECURITY)
    assert page.text.count(">Save</button>") == 1  # one form, one Save
    reply = client.post(SECURITY, {"require_hub_login": "on", "auto_create_users": "on",
                                   "default_role": TECHNICIAN, "auto_deactivate_users": "on"})
    assert reply.status == 303 and reply.location == f"{SECURITY}?done=security_saved"
    settings = security_settings.security_settings(aws, admin.company_id)
    assert settings.require_hub_login and settings.auto_create_users
    assert settings.default_role == TECHNICIAN and settings.auto_deactivate_users
    page = client.get(SECURITY)  # the reload shows what was kept
    for field in ("require-hub-login", "auto-create", "auto-deactivate"):
        assert re.search(rf'id="{field}"[^>]*checked', page.text), field
    assert f'<option value="{TECHNICIAN}" selected>' in page.text


def test_each_change_of_one_save_is_audited_on_its_own(client, linked, aws, frozen_time):
    admin, _ = linked
    client.get(SECURITY)
    client.post(SECURITY, {"require_hub_login": "on", "auto_create_users": "on",
                           "default_role": TECHNICIAN, "auto_deactivate_users": "on"})
    entries = portal_security_audit.audit_of(admin.company_id)
    assert sorted((e.action, e.detail) for e in entries) == [
        ("Automatic User Creation", "on, default role Technician"),
        ("Automatic User Deactivation", "on"),
        ("Require Log In with Hub", "on"),
    ]
    assert {e.actor for e in entries} == {"sadmin"}
    frozen_time.advance(minutes=3)
    client.get(SECURITY)  # a Save that changes one setting audits that one only
    client.post(SECURITY, {"require_hub_login": "on", "auto_create_users": "on",
                           "default_role": TECHNICIAN})
    later = portal_security_audit.audit_of(admin.company_id)
    assert len(later) == 4
    assert [(e.action, e.detail) for e in later if e not in entries] == [
        ("Automatic User Deactivation", "off")]


def test_a_save_changing_nothing_audits_nothing(client, linked, aws):
    admin, _ = linked
    client.get(SECURITY)
    assert client.post(SECURITY, {"default_role": "Read Only"}).status == 303
    assert portal_security_audit.audit_of(admin.company_id) == []


def test_user_exceptions_show_after_save_without_javascript(client, linked):
    page = client.get(SECURITY)
    assert " hidden" in _exceptions_section(page.text)  # Require off: hidden until the toggle
    assert 'aria-controls="user-exceptions-section"' in page.text  # the script shows it at once
    client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only"})
    page = client.get(SECURITY)
    assert "hidden" not in _exceptions_section(page.text)
    assert "User Exceptions" in page.text and "<td>No</td>" in _row(page.text, "tech")


def test_add_and_delete_are_icon_buttons_named_add_and_delete(client, linked, aws):
    admin, people = linked
    client.get(SECURITY)
    client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only"})
    row = _row(client.get(SECURITY).text, "tech")
    assert 'aria-label="Add"' in row and "<svg" in row and 'aria-hidden="true"' in row
    reply = client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only",
                                   "add_exception": people["tech"].user_id})
    assert reply.location == f"{SECURITY}?done=exception_added"
    row = _row(client.get(SECURITY).text, "tech")
    assert "<td>Yes</td>" in row and 'aria-label="Delete"' in row and 'aria-label="Add"' not in row
    client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only",
                           "delete_exception": people["tech"].user_id})
    assert people["tech"].user_id not in security_settings.security_settings(
        aws, admin.company_id).exceptions


def test_always_exempt_rows_say_why_and_offer_no_add(client, linked):
    client.get(SECURITY)
    client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only"})
    page = client.get(SECURITY)
    for username, role in (("prim", PRIMARY), ("sadmin", "Security Admin")):
        row = _row(page.text, username)
        assert f"always exempt: {role}" in row and "<button" not in row, row
    # issue 13 removed the exemption for an email used in several companies: nobody shows it
    assert "several" not in page.text.split('id="user-exceptions"', 1)[1].split("</table>")[0]


def test_add_keeps_the_unsaved_toggles_of_the_same_form(client, linked, aws):
    admin, people = linked
    client.get(SECURITY)
    client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only"})
    client.get(SECURITY)
    client.post(SECURITY, {"require_hub_login": "on", "auto_deactivate_users": "on",
                           "default_role": "Read Only", "add_exception": people["tech"].user_id})
    settings = security_settings.security_settings(aws, admin.company_id)
    assert settings.auto_deactivate_users and people["tech"].user_id in settings.exceptions


def test_an_exception_for_another_companys_user_is_refused(client, linked, aws):
    admin, _ = linked
    other = make_user(companies.create_company(aws, "Elsewhere"), username="stranger")
    client.get(SECURITY)
    reply = client.post(SECURITY, {"require_hub_login": "on", "default_role": "Read Only",
                                   "add_exception": other.user_id})
    assert reply.status == 400 and "No such user" in reply.text
    assert other.user_id not in security_settings.security_settings(
        aws, admin.company_id).exceptions


def test_the_flash_of_a_save_appears_once(client, linked):
    client.get(SECURITY)
    page = client.post(SECURITY, {"default_role": "Read Only"}, follow=True)
    assert page.text.count("Saved the Security Settings") == 1


def test_the_page_names_its_menu_path_and_shows_the_hub_logo(client, linked):
    page = client.get(SECURITY)
    assert "Admin &gt; Security Settings" in page.text
    assert 'src="/static/hub-logo.svg" alt="Hub"' in page.text
    logo = client.get("/static/hub-logo.svg")
    assert logo.status == 200 and logo.text.lstrip().startswith("<svg")
    script = client.get("/static/security-settings.js")
    assert script.status == 200 and "beforeunload" in script.text


def test_a_form_left_open_does_not_revert_another_admins_later_change(client, linked, aws):
    admin, _ = linked
    page = client.get(SECURITY)  # this admin's form shows every setting off
    shown = {"shown_default_role": "Read Only", "default_role": "Read Only"}
    assert 'name="shown_default_role" value="Read Only"' in page.text
    security_settings.set_require(aws, admin, True)  # meanwhile, another tab turns Require on
    reply = client.post(SECURITY, {**shown, "auto_deactivate_users": "on"}, csrf=page.csrf)
    assert reply.status == 303
    settings = security_settings.security_settings(aws, admin.company_id)
    assert settings.require_hub_login and settings.auto_deactivate_users
    page = client.get(SECURITY)  # turning it off on a form that showed it on does turn it off
    client.post(SECURITY, {"shown_require_hub_login": "on", "shown_auto_deactivate_users": "on",
                           "auto_deactivate_users": "on", **shown}, csrf=page.csrf)
    assert not security_settings.security_settings(aws, admin.company_id).require_hub_login
