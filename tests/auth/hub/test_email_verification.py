"""Verified email addresses: a mailed single-use link verifies an address set or changed by a
Master; a changed address waits while the verified one stays; the id token's `email_verified` is
true only for a verified address; forgot password also finds an account by its verified email."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import urlsplit

from app import app
from chalicelib import runtime
from chalicelib.auth.hub import password_reset
from chalicelib.storage import tables
from chalicelib.storage.hub import users as store
from devstack.mail_catcher import CaughtMail, MailCatcher
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.auth.hub.oidc.flow import Rp, verify_id_token
from tests.auth.hub.test_invitations import (
    invitation_mail,
    invitation_path,
    invite,
    invited,
    master_signed_in,
    set_password,
)
from tests.web_client import Reply, WebClient

CONFIRM_SUBJECT = "Confirm your email address"
LINK_REFUSED = "This email verification link is not valid, was already used or has expired"
SAME_ANSWER = "If an account matches, we sent a link"


def change_email(client: WebClient, account: Account, email: str) -> Reply:
    client.get("/hub/admin/users")
    return client.post(f"/hub/admin/users/{account.user.user_id}",
                       {"action": "change_email", "email": email})


def confirm_path(mail: CaughtMail) -> str:
    (link,) = [link for link in mail.links() if "/hub/verify-email/" in link]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def confirm(path: str) -> Reply:
    """Open the mailed link in a fresh browser and press Confirm."""
    browser = WebClient(app)
    page = browser.get(path)
    if page.status != 200:
        return page
    return browser.post(path.split("?")[0], {"token": path.split("token=", 1)[1]})


def id_token_email(account: Account) -> tuple[str, bool]:
    """What a module learns at Log In with Hub: the id token's email and email_verified."""
    browser = WebClient(app)
    runtime.current().clock.advance(seconds=31)  # type: ignore[attr-defined]  # a fresh code
    assert log_in(browser, account).status == 303
    rp = Rp.builtin("portal")
    claims = verify_id_token(browser, rp.token(browser, rp.code(browser)).json["id_token"],
                             audience="portal")
    return claims["email"], claims["email_verified"]


def test_a_set_address_is_verified_only_by_its_link(mailing, client, mail_catcher):
    master = master_signed_in(client)
    bob = make_account(username="bob", role="User", company=master.company)
    assert id_token_email(bob) == ("bob@example.com", False)
    sent = change_email(client, bob, "bob@example.com")  # sends its link again
    assert sent.status == 303 and "Mailed a verification link" in client.get(sent.location).text
    mail = mail_catcher.inbox.wait_for("bob@example.com", CONFIRM_SUBJECT)
    assert "72 hours" in mail.text and "token=" in mail.text
    page = WebClient(app).get(confirm_path(mail))
    assert page.status == 200 and "bob@example.com" in page.text
    assert not store.get_user(bob.user.user_id).email_verified  # opening confirms nothing
    done = confirm(confirm_path(mail))
    assert done.status == 200 and "Email address confirmed" in done.text
    assert store.get_user(bob.user.user_id).email_verified
    assert id_token_email(bob) == ("bob@example.com", True)
    again = confirm(confirm_path(mail))
    assert again.status == 400 and LINK_REFUSED in again.text


def verified_account(client: WebClient, master: Account, catcher: MailCatcher,
                     username: str = "bob") -> Account:
    """A user of the Master's company whose address was verified through its mailed link."""
    account = make_account(username=username, role="User", company=master.company)
    seen = len(catcher.inbox.mails())
    change_email(client, account, account.user.email)
    assert confirm(confirm_path(catcher.inbox.wait_for(account.user.email, CONFIRM_SUBJECT,
                                                       after=seen))).status == 200
    account.user = store.get_user(account.user.user_id)
    return account


def test_a_changed_email_waits_and_the_verified_one_stays_until_its_link(mailing, client,
                                                                          mail_catcher):
    master = master_signed_in(client)
    bob = verified_account(client, master, mail_catcher)
    reply = change_email(client, bob, "robert@new.example")
    assert reply.status == 303 and "change_email" in reply.location
    stored = store.get_user(bob.user.user_id)
    assert (stored.email, stored.email_verified, stored.pending_email) == (
        "bob@example.com", True, "robert@new.example")
    page = client.get("/hub/admin/users")
    assert "robert@new.example: waiting for verification" in page.text
    assert id_token_email(bob) == ("bob@example.com", True)
    mail = mail_catcher.inbox.wait_for("robert@new.example", CONFIRM_SUBJECT)
    assert confirm(confirm_path(mail)).status == 200
    stored = store.get_user(bob.user.user_id)
    assert (stored.email, stored.email_verified, stored.pending_email) == (
        "robert@new.example", True, None)
    assert id_token_email(bob) == ("robert@new.example", True)
    assert [u.user_id for u in store.users_by_verified_email("bob@example.com")] == []
    assert [u.user_id for u in store.users_by_verified_email("Robert@New.example")] == [
        bob.user.user_id]


def test_an_older_link_dies_when_the_address_changes_again(mailing, client, mail_catcher):
    master = master_signed_in(client)
    bob = verified_account(client, master, mail_catcher)
    change_email(client, bob, "first@new.example")
    first = confirm_path(mail_catcher.inbox.wait_for("first@new.example", CONFIRM_SUBJECT))
    change_email(client, bob, "second@new.example")
    refused = confirm(first)
    assert refused.status == 400 and LINK_REFUSED in refused.text
    stored = store.get_user(bob.user.user_id)
    assert (stored.email, stored.pending_email) == ("bob@example.com", "second@new.example")


def test_a_verification_link_expires_and_a_tampered_or_foreign_token_is_refused(
        mailing, client, mail_catcher, frozen_time):
    master = master_signed_in(client)
    bob = make_account(username="bob", role="User", company=master.company)
    carol = make_account(username="carol", role="User", company=bob.company)
    change_email(client, bob, "bob@example.com")
    change_email(client, carol, "carol@example.com")
    bobs = confirm_path(mail_catcher.inbox.wait_for("bob@example.com", CONFIRM_SUBJECT))
    carols = confirm_path(mail_catcher.inbox.wait_for("carol@example.com", CONFIRM_SUBJECT))
    base, token = bobs.split("?token=")
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "short", token + "A",
                carols.split("?token=")[1]):
        refused = confirm(f"{base}?token={bad}")
        assert refused.status == 400 and LINK_REFUSED in refused.text
    frozen_time.advance(hours=72)
    assert confirm(bobs).status == 400
    assert not store.get_user(bob.user.user_id).email_verified


def test_an_invited_users_new_address_gets_a_new_invitation_and_the_old_link_dies(
        mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client, "dave", "dave@typo.example")
    old = invitation_path(invitation_mail(mail_catcher, "dave@typo.example"))
    dave = invited(master)
    client.get("/hub/admin/users")
    client.post(f"/hub/admin/users/{dave.user_id}",
                {"action": "change_email", "email": "dave@example.com"})
    new = invitation_path(invitation_mail(mail_catcher, "dave@example.com"))
    assert set_password(WebClient(app), old).status == 400
    assert set_password(WebClient(app), new).status == 303
    stored = store.get_user(dave.user_id)
    assert stored.email == "dave@example.com" and stored.email_verified


def test_the_users_page_shows_which_emails_are_verified(mailing, client, mail_catcher):
    master = master_signed_in(client)
    verified_account(client, master, mail_catcher, "bob")
    make_account(username="carol", role="User", company=master.company)
    page = client.get("/hub/admin/users").text
    rows = {row.split('"', 1)[0]: row for row in page.split('data-username="')[1:]}
    assert 'data-email="verified"' in rows["bob"]
    assert 'data-email="unverified"' in rows["carol"]


# -- forgot password by email ----------------------------------------------------------------------
def ask_by_email(client: WebClient, email: str) -> Reply:
    client.get("/hub/login/forgot")
    return client.post("/hub/login/forgot", {"email": email})


def mark_verified(account: Account) -> None:
    store.update_user(account.user.user_id, email_verified=True,
                      verified_email_key=store.email_key(account.user.email))


def test_forgot_password_by_a_verified_email_mails_a_reset_link(mailing, client, mail_catcher):
    account = make_account()
    mark_verified(account)
    answer = ask_by_email(client, "Alice@Example.com")
    assert answer.status == 200 and SAME_ANSWER in answer.text
    mail = mail_catcher.inbox.wait_for("alice@example.com", "Reset your Hub password")
    assert "alice" in mail.text and account.company.name in mail.text


def test_an_unverified_or_unknown_email_gets_the_same_answer_the_same_work_and_no_mail(
        mailing, client, mail_catcher):
    verified = make_account()
    mark_verified(verified)
    make_account(company=verified.company, username="carol")  # carol@example.com, unverified
    work, bodies = {}, set()
    for email in ("alice@example.com", "carol@example.com", "nobody@example.com"):
        with tables.counting_calls() as calls:
            reply = ask_by_email(client, email)
        work[email] = dict(calls.calls)
        bodies.add(reply.text.replace(reply.csrf, "") if "csrf_token" in reply.text
                   else reply.text)
    assert work["alice@example.com"] == {"Query": 1, "TransactWriteItems": 1}
    assert len({str(sorted(c.items())) for c in work.values()}) == 1, work
    assert len(bodies) == 1
    assert [m.to for m in mail_catcher.inbox.mails()] == [["alice@example.com"]]


def test_an_email_shared_by_users_of_two_companies_sends_each_their_own_link(
        mailing, client, mail_catcher):
    first = make_account("Acme MSP")
    second = make_account("Beta IT")
    for account in (first, second):
        mark_verified(account)
    ask_by_email(client, "alice@example.com")
    mails = [m for m in mail_catcher.inbox.mails() if m.subject == "Reset your Hub password"]
    assert sorted("Beta IT" in m.text for m in mails) == [False, True]
    assert len({m.links()[0] for m in mails}) == 2


def test_the_request_by_email_reads_nothing_when_the_mail_queue_is_sqs(mailing, client):
    sent: list[str] = []

    class Recording:
        def send(self, body: str) -> None:
            sent.append(body)

    queues = dataclasses.replace(mailing.queues, mail=Recording())
    runtime.install(runtime.build(mailing.settings, clock=mailing.clock, queues=queues))
    mark_verified(make_account())
    with tables.counting_calls() as calls:
        answer = ask_by_email(client, "alice@example.com")
    assert answer.status == 200 and calls.total == 0
    assert json.loads(sent[0]) == {"email": "alice@example.com", "kind": password_reset.JOB}


def test_the_forgot_form_asks_for_a_login_or_an_email(mailing, client):
    for fields, message in (({}, "or your email address"),
                            ({"email": "not-an-address"}, "valid email address")):
        client.get("/hub/login/forgot")
        refused = client.post("/hub/login/forgot", fields)
        assert refused.status == 400 and message in refused.text


def test_giving_the_verified_address_back_drops_the_waiting_one_and_its_link(
        mailing, client, mail_catcher):
    master = master_signed_in(client)
    bob = verified_account(client, master, mail_catcher)
    change_email(client, bob, "typo@new.example")
    link = confirm_path(mail_catcher.inbox.wait_for("typo@new.example", CONFIRM_SUBJECT))
    kept = change_email(client, bob, "bob@example.com")
    assert kept.status == 303 and "keeps their verified address" in client.get(kept.location).text
    stored = store.get_user(bob.user.user_id)
    assert (stored.email, stored.email_verified, stored.pending_email) == (
        "bob@example.com", True, None)
    assert confirm(link).status == 400
    refused = change_email(client, bob, "bob@example.com")  # nothing waits any more
    assert refused.status == 303 and "already" in client.get(refused.location).text
