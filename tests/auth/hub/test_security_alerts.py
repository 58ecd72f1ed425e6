"""Security alerts by mail (read from the SMTP server the test started) and the account page's
change password: one mail per event to the user, none without a mail address, the action
standing when the mail queue fails; the current password checked and throttled, the policy
applied, the other sessions ended and this one kept."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from app import app
from chalicelib import runtime
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth import passwords, throttle
from chalicelib.auth.hub import totp
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.audit import hub_audit
from devstack.mail_catcher import CaughtMail, MailCatcher
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.auth.hub.push.helpers import enroll_device, log_in_with_code
from tests.web_client import Reply, WebClient

NEW_PASSWORD = "quiet-meadow-copper-71"
NOT_YOU = "If this wasn't you, contact your Master."
WHEN = "When: 2026-01-05 09:00 (UTC)"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "devices" / "device.json"


class RefusingQueue:
    """A mail queue that cannot be reached (SQS down): every send raises."""

    def __init__(self) -> None:
        self.tries = 0

    def send(self, body: str) -> None:
        self.tries += 1
        raise ConnectionError("the mail queue is unreachable")


def refusing_mail_queue(rt: runtime.Runtime) -> RefusingQueue:
    refusing = RefusingQueue()
    queues = dataclasses.replace(rt.queues, mail=refusing)
    runtime.install(runtime.build(rt.settings, clock=rt.clock, queues=queues))
    return refusing


def change_password(client: WebClient, current: str, new: str = NEW_PASSWORD,
                    confirmation: str | None = None) -> Reply:
    client.get("/hub/account")
    return client.post("/hub/account/password", {
        "current_password": current, "password": new,
        "confirmation": new if confirmation is None else confirmation})


def mails_to(catcher: MailCatcher, address: str) -> list[CaughtMail]:
    return [mail for mail in catcher.inbox.mails() if address in mail.to]


def the_only_mail(catcher: MailCatcher, account: Account, subject: str) -> CaughtMail:
    catcher.inbox.wait_for(account.user.email, subject)
    (mail,) = mails_to(catcher, account.user.email)
    assert subject in mail.subject
    assert NOT_YOU in mail.text and "contact your Master" in mail.html
    assert WHEN in mail.text and "(UTC)" in mail.html
    assert mail.links() == [] and "href" not in mail.html  # no link, so no secret to leak
    return mail


def password_of(account: Account) -> str:
    return store.get_user(account.user.user_id).password_hash


# -- change password -------------------------------------------------------------------------------
def test_changing_the_password_keeps_this_session_ends_the_others_and_mails_the_user(
        mailing, client, mail_catcher, published, frozen_time):
    account = make_account()
    assert log_in(client, account).status == 303
    frozen_time.advance(seconds=31)  # the next 2FA token
    elsewhere = WebClient(app)
    assert log_in(elsewhere, account).status == 303
    done = change_password(client, account.password)
    assert done.status == 303 and done.location.startswith("/hub/account")
    page = client.get(done.location)
    assert page.status == 200 and "Password changed. Your other sessions were ended." in page.text
    assert client.get("/hub/").status == 200  # this session stays
    signed_out = elsewhere.get("/hub/")
    assert signed_out.status == 303 and "/hub/login" in signed_out.location
    revoked = [e for e in published if e.kind == lifecycle.SESSIONS_REVOKED]
    assert [(e.subject, e.detail["reason"]) for e in revoked] == [
        (account.user.user_id, lifecycle.REVOKED_BY_PASSWORD_CHANGE)]
    assert "module" not in revoked[0].detail  # every module ends the user's sessions
    mail = the_only_mail(mail_catcher, account, "Your Hub password was changed")
    assert "The password of your Hub account was changed." in mail.text
    assert "From address: 127.0.0.1" in mail.text and "linkhub-tests" in mail.text
    assert "alice at Acme MSP" in mail.text
    assert account.password not in mail.text and NEW_PASSWORD not in mail.text
    assert [e.action for e in hub_audit.audit_of(account.company.company_id)
            if e.action == "user.change_password"] == ["user.change_password"]
    assert log_in(WebClient(app), account).status == 401
    frozen_time.advance(seconds=31)
    assert log_in(WebClient(app), dataclasses.replace(account, password=NEW_PASSWORD)).status == 303


def test_a_wrong_current_password_changes_nothing(mailing, client, mail_catcher, published,
                                                  frozen_time):
    account = make_account()
    log_in(client, account)
    frozen_time.advance(seconds=31)
    elsewhere = WebClient(app)
    assert log_in(elsewhere, account).status == 303
    refused = change_password(client, "not-my-password-at-all")
    assert refused.status == 400 and "That is not your current password." in refused.text
    assert password_of(account) == account.user.password_hash
    assert elsewhere.get("/hub/").status == 200
    assert published == [] and mail_catcher.inbox.mails() == []


@pytest.mark.parametrize(("new", "confirmation", "message"), [
    ("password1", None, "too common"),
    ("short", None, "at least 8"),
    ("Alice-2024", None, "not your name"),
    (NEW_PASSWORD, "something-else-99", "The two new passwords differ."),
    ("blue-harbour-lantern-42", None, "different from your current one"),
])
def test_the_password_policy_applies_and_a_refusal_changes_nothing(
        mailing, client, mail_catcher, new, confirmation, message):
    account = make_account()
    log_in(client, account)
    refused = change_password(client, account.password, new, confirmation)
    assert refused.status == 400 and message in refused.text, refused.text[:400]
    assert password_of(account) == account.user.password_hash
    assert store.get_user(account.user.user_id).password_failures == 0  # the current one was right
    assert mail_catcher.inbox.mails() == []


def test_wrong_current_passwords_are_throttled_with_the_login(mailing, client, mail_catcher,
                                                              frozen_time):
    account = make_account()
    log_in(client, account)
    for i in range(throttle.FREE_FAILURES):
        assert change_password(client, f"wrong-guess-number-{i}").status == 400
    locked = change_password(client, account.password)
    assert locked.status == 429 and "Too many failed attempts. Try again in 1 minute" in locked.text
    assert password_of(account) == account.user.password_hash
    assert log_in(WebClient(app), account).status == 401  # the login's password step waits too
    frozen_time.advance(minutes=1)
    assert change_password(client, account.password).status == 303
    assert passwords.verify(password_of(account), NEW_PASSWORD)
    assert store.get_user(account.user.user_id).password_failures == 0
    assert len(mails_to(mail_catcher, account.user.email)) == 1


def test_the_change_password_form_needs_its_csrf_token(mailing, client):
    account = make_account()
    log_in(client, account)
    client.get("/hub/account")
    forged = client.post("/hub/account/password", {
        "current_password": account.password, "password": NEW_PASSWORD,
        "confirmation": NEW_PASSWORD}, csrf=None)
    assert forged.status == 403
    assert password_of(account) == account.user.password_hash


# -- 2FA enrolment, push devices, MFA reset --------------------------------------------------------
def test_setting_up_an_authenticator_mails_the_user(mailing, client, mail_catcher):
    account = make_account(enrolled=False)
    client.get("/hub/login")
    client.post("/hub/login", {"username": "alice", "company": account.company.name})
    client.get("/hub/login/password")
    assert client.post("/hub/login/password", {"password": account.password}).status == 303
    page = client.get("/hub/login/enroll")
    secret = re.search(r"secret=([A-Z2-7]+)", page.text).group(1)
    done = client.post("/hub/login/enroll", {"code": totp.code_at(secret, mailing.clock.now())})
    assert done.status == 303
    mail = the_only_mail(mail_catcher, account, "An authenticator app was set up")
    assert "An authenticator app was set up for 2FA on your Hub account." in mail.text
    assert "From address: 127.0.0.1" in mail.text


def test_adding_and_removing_a_push_device_each_mail_the_user(mailing, client, mail_catcher,
                                                              key_file, frozen_time):
    account = make_account()
    log_in(client, account)
    device = enroll_device(client, app, key_file, name="Work phone")
    added = the_only_mail(mail_catcher, account, "A push device was added")
    assert "The push device \u201cWork phone\u201d was added" in added.text
    assert "From address: 127.0.0.1" in added.text
    frozen_time.advance(seconds=31)
    assert log_in_with_code(client, account).status == 303
    client.get("/hub/account")
    removed = client.post(f"/hub/account/push/devices/{device.data['device_id']}/remove")
    assert removed.status == 303
    mail = mail_catcher.inbox.wait_for(account.user.email, "A push device was removed")
    assert "The push device \u201cWork phone\u201d was removed" in mail.text
    assert NOT_YOU in mail.text and "linkhub-tests" in mail.text
    assert len(mails_to(mail_catcher, account.user.email)) == 2


def test_a_masters_mfa_reset_mails_the_user_once(mailing, client, mail_catcher, key_file):
    member = make_account(username="bob", role="User")
    log_in(client, member)
    enroll_device(client, app, key_file)
    mail_catcher.inbox.wait_for(member.user.email, "A push device was added")
    seen = len(mail_catcher.inbox.mails())
    master = make_account(company=member.company, username="alice", role="Master")
    log_in(client, master)
    client.get("/hub/admin/users")
    assert client.post(f"/hub/admin/users/{member.user.user_id}",
                       {"action": "reset_mfa"}).status == 303
    new = mail_catcher.inbox.mails()[seen:]
    assert [(m.to, m.subject) for m in new] == [
        ([member.user.email], "Your Hub 2FA was reset by your Master")]
    assert "Alice, a Master of Acme MSP, reset the 2FA of your Hub account." in new[0].text
    assert NOT_YOU in new[0].text and WHEN in new[0].text


# -- who gets no mail, and failures ----------------------------------------------------------------
def test_a_user_without_a_mail_address_gets_none_and_it_is_logged(mailing, client, mail_catcher,
                                                                  log_lines):
    account = make_account()
    member = make_account(company=account.company, username="bob", role="User")
    store.update_user(account.user.user_id, email="")
    store.update_user(member.user.user_id, email="")
    log_in(client, account)
    assert change_password(client, account.password).status == 303
    client.get("/hub/admin/users")
    assert client.post(f"/hub/admin/users/{member.user.user_id}",
                       {"action": "reset_mfa"}).status == 303
    assert mail_catcher.inbox.mails() == []
    skipped = log_lines.named("security_alert_skipped")
    assert [(e["kind"], e["reason"]) for e in skipped] == [
        ("password_changed", "no mail address"), ("mfa_reset", "no mail address")]


def test_the_password_changes_even_when_the_mail_queue_refuses_the_alert(mailing, client,
                                                                         log_lines):
    account = make_account()
    log_in(client, account)
    refusing = refusing_mail_queue(mailing)
    done = change_password(client, account.password)
    assert done.status == 303
    assert passwords.verify(password_of(account), NEW_PASSWORD)
    assert refusing.tries == 1
    assert [e["kind"] for e in log_lines.named("security_alert_not_queued")] == [
        "password_changed"]


def test_a_device_is_removed_and_mfa_reset_even_when_the_mail_queue_refuses(
        mailing, client, key_file, log_lines, frozen_time):
    member = make_account(username="bob", role="User")
    log_in(client, member)
    device = enroll_device(client, app, key_file)
    frozen_time.advance(seconds=31)
    assert log_in_with_code(client, member).status == 303
    refusing_mail_queue(mailing)
    client.get("/hub/account")
    removed = client.post(f"/hub/account/push/devices/{device.data['device_id']}/remove",
                          follow=True)
    assert "No push devices yet." in removed.text
    client.cookies.clear()
    master = make_account(company=member.company, username="alice", role="Master")
    log_in(client, master)
    client.get("/hub/admin/users")
    assert client.post(f"/hub/admin/users/{member.user.user_id}",
                       {"action": "reset_mfa"}).status == 303
    assert store.get_user(member.user.user_id).totp_secret is None
    assert [e["kind"] for e in log_lines.named("security_alert_not_queued")] == [
        "push_device_removed", "mfa_reset"]


def test_a_failed_send_is_logged_and_the_password_still_changes(aws, client, log_lines):
    """No mail server: the change stands; the failed send is a log line (SQS retries it)."""
    from devstack import dynamodb_local
    from tests.fakes import build_for_tests

    nowhere = aws.settings.with_overrides(smtp_host="127.0.0.1",
                                          smtp_port=dynamodb_local.free_port())
    runtime.install(build_for_tests(nowhere, clock=aws.clock))
    account = make_account()
    log_in(client, account)
    assert change_password(client, account.password).status == 303
    assert passwords.verify(password_of(account), NEW_PASSWORD)
    failed = log_lines.named("mail_send_failed")
    assert [e["template"] for e in failed] == ["security_alert.password_changed"]
