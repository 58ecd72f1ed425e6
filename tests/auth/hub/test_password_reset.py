"""Forgot password: the same answer for every account, a single-use 30-minute link by mail, the
password policy, every session ended, 2FA still asked, and the password-changed alert."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlsplit

from app import app
from chalicelib import runtime
from chalicelib.auth import lifecycle_events as lifecycle
from chalicelib.auth import passwords
from chalicelib.auth.hub import password_reset
from chalicelib.storage import tables
from chalicelib.storage.hub import users as store
from devstack import dynamodb_local
from devstack.mail_catcher import CaughtMail, MailCatcher
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.auth.hub.test_security_alerts import refusing_mail_queue
from tests.fakes import build_for_tests
from tests.web_client import Reply, WebClient

NEW_PASSWORD = "quiet-meadow-copper-71"
SAME_ANSWER = "If an account matches, we sent a link"


def ask_for_link(client: WebClient, company: str, username: str) -> Reply:
    client.get("/hub/login/forgot")
    return client.post("/hub/login/forgot", {"company": company, "username": username})


def reset_path(mail: CaughtMail) -> str:
    (link,) = [link for link in mail.links() if "/hub/login/reset?token=" in link]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def token_of(mail: CaughtMail) -> str:
    return reset_path(mail).split("token=", 1)[1]


def set_new_password(client: WebClient, path: str, password: str = NEW_PASSWORD,
                     confirmation: str | None = None) -> Reply:
    page = client.get(path)
    if page.status != 200:
        return page
    return client.post("/hub/login/reset", {
        "token": path.split("token=", 1)[1], "password": password,
        "confirmation": password if confirmation is None else confirmation})


def reset_link_mail(catcher: MailCatcher, account: Account, after: int = 0) -> CaughtMail:
    return catcher.inbox.wait_for(account.user.email, "Reset your Hub password", after=after)


def test_the_password_step_links_to_forgot_password_with_the_login_filled_in(mailing, client):
    account = make_account()
    client.get("/hub/login")
    client.post("/hub/login", {"username": "alice", "company": account.company.name})
    assert 'href="/hub/login/forgot"' in client.get("/hub/login/password").text
    form = client.get("/hub/login/forgot")
    assert form.status == 200
    assert 'value="alice"' in form.text and f'value="{account.company.name}"' in form.text


def test_a_reset_link_sets_a_new_password_and_the_next_login_still_asks_for_2fa(
        mailing, client, mail_catcher):
    account = make_account()
    answer = ask_for_link(client, account.company.name, "alice")
    assert answer.status == 200 and SAME_ANSWER in answer.text
    mail = reset_link_mail(mail_catcher, account)
    assert mail.text.count(mailing.settings.base_url + "/hub/login/reset?token=") == 1
    assert 'href="http://' in mail.html and account.password not in mail.text
    done = set_new_password(client, reset_path(mail))
    assert done.status == 200 and "Your password was changed" in done.text
    assert "session" not in client.cookies  # no sign-in from the link itself
    old = log_in(WebClient(app), account)
    assert old.status == 401
    account.password = NEW_PASSWORD
    fresh = WebClient(app)
    fresh.get("/hub/login")
    fresh.post("/hub/login", {"username": "alice", "company": account.company.name})
    fresh.get("/hub/login/password")
    step = fresh.post("/hub/login/password", {"password": NEW_PASSWORD})
    assert step.status == 303 and step.location.endswith("/hub/login/verify")
    assert log_in(WebClient(app), account).status == 303


def test_the_user_is_told_by_mail_that_their_password_changed(mailing, client, mail_catcher):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    set_new_password(client, reset_path(reset_link_mail(mail_catcher, account)))
    alert = mail_catcher.inbox.wait_for("alice@example.com", "Your Hub password was changed")
    assert "was changed on 2026-01-05 09:00 (UTC)" in alert.text
    assert f"{mailing.settings.base_url}/hub/login/forgot" in alert.links()
    assert "token=" not in alert.text


def test_a_used_link_cannot_be_used_again(mailing, client, mail_catcher):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    path = reset_path(reset_link_mail(mail_catcher, account))
    assert set_new_password(client, path).status == 200
    again = client.get(path)
    assert again.status == 400 and "already used or has expired" in again.text
    assert 'name="password"' not in again.text
    client.get("/hub/login/forgot")  # a page with a form (and a CSRF token) to post from
    replay = client.post("/hub/login/reset", {"token": path.split("token=")[1],
                                              "password": "another-fresh-lantern-88",
                                              "confirmation": "another-fresh-lantern-88"})
    assert replay.status == 400 and "already used or has expired" in replay.text
    assert passwords.verify(store.get_user(account.user.user_id).password_hash,
                                           NEW_PASSWORD)


def test_a_link_expires_after_thirty_minutes(mailing, client, mail_catcher, frozen_time):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    path = reset_path(reset_link_mail(mail_catcher, account))
    frozen_time.advance(minutes=29, seconds=59)
    assert client.get(path).status == 200
    frozen_time.advance(seconds=1)
    expired = set_new_password(client, path)
    assert expired.status == 400 and "has expired" in expired.text
    unchanged = store.get_user(account.user.user_id).password_hash
    assert unchanged == account.user.password_hash


def test_a_malformed_or_tampered_token_gets_a_clear_message_and_changes_nothing(
        mailing, client, mail_catcher):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    token = token_of(reset_link_mail(mail_catcher, account))
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "short", "x" * 400, token + "A", "%00" * 10):
        page = client.get(f"/hub/login/reset?token={bad}")
        assert page.status == 400 and "Request a new one" in page.text, bad
        assert 'name="password"' not in page.text
    assert store.get_user(account.user.user_id).password_hash == account.user.password_hash


def test_a_password_the_policy_refuses_changes_nothing_and_keeps_the_link(
        mailing, client, mail_catcher):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    path = reset_path(reset_link_mail(mail_catcher, account))
    for password, confirmation, message in (("password1", None, "too common"),
                                            ("short", None, "at least 8"),
                                            ("Alice-2024", None, "not your name"),
                                            (NEW_PASSWORD, "something-else-99", "differ")):
        refused = set_new_password(client, path, password, confirmation)
        assert refused.status == 400 and message in refused.text, (password, refused.text[:300])
        assert 'name="password"' in refused.text  # the link still works
    assert store.get_user(account.user.user_id).password_hash == account.user.password_hash
    assert set_new_password(client, path).status == 200


def test_unknown_accounts_get_the_same_answer_and_the_same_dynamodb_calls(
        mailing, client, mail_catcher):
    account = make_account()
    inactive = make_account(company=account.company, username="bob")
    store.update_user(inactive.user.user_id, status="deactivated")
    no_mail = make_account(company=account.company, username="carol")
    store.update_user(no_mail.user.user_id, email="")
    work, answers = {}, {}
    for company, username in ((account.company.name, "alice"), (account.company.name, "nobody"),
                              ("No Such Company", "alice"), (account.company.name, "bob"),
                              (account.company.name, "carol")):
        with tables.counting_calls() as calls:
            answers[username, company] = ask_for_link(client, company, username)
        work[username, company] = dict(calls.calls)
    assert len({str(sorted(calls.items())) for calls in work.values()}) == 1, work
    assert work["alice", account.company.name] == {"Query": 1, "TransactWriteItems": 1}
    assert {reply.status for reply in answers.values()} == {200}
    bodies = {reply.text.replace(reply.csrf, "") if "csrf_token" in reply.text else reply.text
              for reply in answers.values()}
    assert len(bodies) == 1
    assert [mail.to for mail in mail_catcher.inbox.mails()] == [["alice@example.com"]]


def test_the_request_itself_reads_nothing_when_the_mail_queue_is_sqs(mailing, client):
    """In AWS the lookup runs in the mail queue's consumer: the request only sends a message."""
    sent: list[str] = []

    class Recording:
        def send(self, body: str) -> None:
            sent.append(body)

    queues = dataclasses.replace(mailing.queues, mail=Recording())
    runtime.install(runtime.build(mailing.settings, clock=mailing.clock, queues=queues))
    make_account()
    with tables.counting_calls() as calls:
        answer = ask_for_link(client, "Acme MSP", "alice")
    assert answer.status == 200 and calls.total == 0
    assert json.loads(sent[0]) == {"company": "Acme MSP", "username": "alice",
                                   "kind": password_reset.JOB}


def test_a_deactivated_or_deleted_user_gets_no_mail(mailing, client, mail_catcher):
    account = make_account()
    gone = make_account(company=account.company, username="dave")
    store.update_user(account.user.user_id, status="deactivated")
    store.update_user(gone.user.user_id, status="deleted")
    for username in ("alice", "dave"):
        assert SAME_ANSWER in ask_for_link(client, account.company.name, username).text
    assert mail_catcher.inbox.mails() == []


def test_a_link_stops_working_once_its_user_is_deactivated(mailing, client, mail_catcher):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    path = reset_path(reset_link_mail(mail_catcher, account))
    store.update_user(account.user.user_id, status="deactivated")
    refused = set_new_password(client, path)
    assert refused.status == 400 and "Request a new one" in refused.text
    assert store.get_user(account.user.user_id).password_hash == account.user.password_hash


def test_at_most_three_reset_mails_per_account_per_hour(mailing, client, mail_catcher,
                                                        frozen_time):
    account = make_account()
    other = make_account(company=account.company, username="erin")
    for _ in range(5):
        assert SAME_ANSWER in ask_for_link(client, account.company.name, "alice").text
    assert SAME_ANSWER in ask_for_link(client, account.company.name, "erin").text
    to_alice = [m for m in mail_catcher.inbox.mails() if m.to == ["alice@example.com"]]
    assert len(to_alice) == 3
    assert [m.to for m in mail_catcher.inbox.mails()].count([other.user.email]) == 1
    frozen_time.advance(hours=1)
    ask_for_link(client, account.company.name, "alice")
    assert len([m for m in mail_catcher.inbox.mails() if m.to == ["alice@example.com"]]) == 4


def test_a_reset_ends_every_session_of_the_user_like_an_administrative_kill(
        mailing, client, mail_catcher, published):
    account = make_account()
    elsewhere = WebClient(app)
    assert log_in(elsewhere, account).status == 303
    assert elsewhere.get("/hub/").status == 200
    ask_for_link(client, account.company.name, "alice")
    set_new_password(client, reset_path(reset_link_mail(mail_catcher, account)))
    signed_out = elsewhere.get("/hub/")
    assert signed_out.status == 303 and "/hub/login" in signed_out.location
    revoked = [e for e in published if e.kind == lifecycle.SESSIONS_REVOKED]
    assert [(e.subject, e.detail["reason"]) for e in revoked] == [
        (account.user.user_id, lifecycle.REVOKED_BY_PASSWORD_RESET)]
    assert "module" not in revoked[0].detail  # every module, not one


def test_a_failed_send_is_logged_and_the_answer_is_the_same(aws, client, log_lines):
    """No mail server: the request still answers, the failure is a log line (SQS retries it)."""
    nowhere = aws.settings.with_overrides(smtp_host="127.0.0.1",
                                          smtp_port=dynamodb_local.free_port())
    runtime.install(build_for_tests(nowhere, clock=aws.clock))
    make_account()
    answer = ask_for_link(client, "Acme MSP", "alice")
    assert answer.status == 200 and SAME_ANSWER in answer.text
    failed = log_lines.named("mail_send_failed")
    assert [event["template"] for event in failed] == ["password_reset"]
    assert "SMTP" in str(failed[0]["reason"])
    assert log_lines.named("queue_message_failed")[0]["queue"] == "linkhub-mail"
    assert all("token" not in json.dumps(event) for event in log_lines.events)


def test_the_reset_stands_when_the_mail_queue_refuses_the_alert(mailing, client, mail_catcher,
                                                               log_lines):
    account = make_account()
    ask_for_link(client, account.company.name, "alice")
    path = reset_path(reset_link_mail(mail_catcher, account))
    refusing = refusing_mail_queue(mailing)
    assert set_new_password(client, path).status == 200
    assert passwords.verify(store.get_user(account.user.user_id).password_hash, NEW_PASSWORD)
    assert refusing.tries == 1
    assert [e["template"] for e in log_lines.named("security_alert_not_queued")] == [
        "password_changed"]
