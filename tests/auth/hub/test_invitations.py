"""Invitations: a Master creates a user without a password; the user sets it from a single-use,
72-hour link mailed to them, then enrolls 2FA. Resend kills the old link; revoke, deactivation and
tampering refuse it; a refused password keeps it."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from app import app
from chalicelib import runtime
from chalicelib.auth import passwords
from chalicelib.auth.hub import totp
from chalicelib.storage.hub import users as store
from chalicelib.storage.hub.users import HubUser
from devstack.mail_catcher import CaughtMail, MailCatcher
from tests.auth.hub.helpers import Account, log_in, make_account
from tests.web_client import Reply, WebClient

NEW_PASSWORD = "silver-orchard-compass-64"
LINK_REFUSED = "This invitation link is not valid, was already used or has expired"
INVITED_SUBJECT = "You are invited to the Hub"


def invite(client: WebClient, username: str = "dave", email: str = "dave@example.com") -> Reply:
    """The signed-in Master adds a user on the Users page and types no password."""
    client.get("/hub/admin/users")
    return client.post("/hub/admin/users", {"username": username, "email": email,
                                            "name": username.title(), "password": "",
                                            "role": "User", "module_portal": "on"})


def invited(master: Account, username: str = "dave") -> HubUser:
    user = store.user_by_login(f"{master.company.name.lower()}/{username}")
    assert user is not None
    return user


def invitation_path(mail: CaughtMail) -> str:
    (link,) = [link for link in mail.links() if "/hub/invitation/" in link]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def invitation_mail(catcher: MailCatcher, to: str = "dave@example.com",
                    after: int = 0) -> CaughtMail:
    return catcher.inbox.wait_for(to, INVITED_SUBJECT, after=after)


def set_password(client: WebClient, path: str, password: str = NEW_PASSWORD,
                 confirmation: str | None = None) -> Reply:
    """Open the link and submit the password form (the link page's reply when it has no form)."""
    page = client.get(path)
    if page.status != 200:
        return page
    return client.post(path.split("?", 1)[0], {
        "token": path.split("token=", 1)[1], "password": password,
        "confirmation": password if confirmation is None else confirmation})


def enroll(client: WebClient) -> tuple[Reply, str]:
    """The login's enrolment step: scan (read the secret) and type the first code."""
    page = client.get("/hub/login/enroll")
    assert page.status == 200, page
    uri = page.text.split('id="otpauth-uri">', 1)[1].split("<", 1)[0].replace("&amp;", "&")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    code = totp.code_at(secret, runtime.current().clock.now())
    return client.post("/hub/login/enroll", {"code": code}), secret


def master_signed_in(client: WebClient, company_name: str = "Acme MSP") -> Account:
    master = make_account(company_name)
    assert log_in(client, master).status == 303
    return master


def unchanged(user: HubUser) -> bool:
    stored = store.get_user(user.user_id)
    return stored.status == "invited" and stored.password_hash == user.password_hash \
        and not stored.email_verified


def test_an_invited_user_sets_a_password_enrolls_2fa_and_can_log_in(mailing, client,
                                                                       mail_catcher):
    master = master_signed_in(client)
    reply = invite(client)
    assert reply.status == 303 and "user_invited" in reply.location
    listed = client.get("/hub/admin/users")
    assert "Invited" in listed.text and "link expires" in listed.text
    assert "2026-01-08 09:00" in listed.text  # created 2026-01-05 09:00 on the frozen clock
    mail = invitation_mail(mail_catcher)
    path = invitation_path(mail)
    assert mail.text.count(f"{mailing.settings.base_url}/hub/invitation/") == 1
    assert "72 hours" in mail.text and master.user.name in mail.text
    invitee = WebClient(app)
    accepted = set_password(invitee, path)
    assert accepted.status == 303 and accepted.location == "/hub/login/enroll"
    finished, secret = enroll(invitee)
    assert finished.status == 303 and invitee.get("/hub/").status == 200
    user = store.get_user(invited(master).user_id)
    assert user.status == "active" and user.email_verified and user.totp_secret
    assert user.invitation_hash is None and user.invited_at is None
    account = Account(master.company, user, NEW_PASSWORD, secret)
    runtime.current().clock.advance(seconds=31)  # type: ignore[attr-defined]
    assert log_in(WebClient(app), account).status == 303


def test_an_invited_user_cannot_log_in_nor_ask_for_a_reset_link(mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    invitation_mail(mail_catcher)
    stranger = WebClient(app)
    stranger.get("/hub/login")
    stranger.post("/hub/login", {"username": "dave", "company": master.company.name})
    stranger.get("/hub/login/password")
    assert stranger.post("/hub/login/password", {"password": ""}).status == 401
    stranger.get("/hub/login/forgot")
    stranger.post("/hub/login/forgot", {"company": master.company.name, "username": "dave"})
    assert [m.subject for m in mail_catcher.inbox.mails()] == [INVITED_SUBJECT]


def test_the_link_expires_after_72_hours(mailing, client, mail_catcher, frozen_time):
    master = master_signed_in(client)
    invite(client)
    path = invitation_path(invitation_mail(mail_catcher))
    frozen_time.advance(hours=71, minutes=59, seconds=59)
    assert client.get(path).status == 200
    frozen_time.advance(seconds=1)
    expired = set_password(WebClient(app), path)
    assert expired.status == 400 and LINK_REFUSED in expired.text
    assert 'name="password"' not in expired.text
    assert unchanged(invited(master))
    assert log_in(client, master).status == 303  # three days on, the Master signs in again
    assert "invitation expired" in client.get("/hub/admin/users").text


def test_a_used_link_cannot_be_used_again(mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    path = invitation_path(invitation_mail(mail_catcher))
    assert set_password(WebClient(app), path).status == 303
    again = WebClient(app)
    assert again.get(path).status == 400
    again.get("/hub/login")
    replay = again.post(path.split("?")[0], {"token": path.split("token=")[1],
                                             "password": "another-quiet-harbour-19",
                                             "confirmation": "another-quiet-harbour-19"})
    assert replay.status == 400 and LINK_REFUSED in replay.text
    stored = store.get_user(invited(master).user_id).password_hash
    assert passwords.verify(stored, NEW_PASSWORD)


def test_resend_sends_a_new_link_and_the_old_one_dies(mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    old = invitation_path(invitation_mail(mail_catcher))
    user = invited(master)
    client.get("/hub/admin/users")
    reply = client.post(f"/hub/admin/users/{user.user_id}", {"action": "resend_invitation"})
    assert reply.status == 303 and "resend_invitation" in reply.location
    new = invitation_path(invitation_mail(mail_catcher, after=1))
    assert new != old
    refused = set_password(WebClient(app), old)
    assert refused.status == 400 and LINK_REFUSED in refused.text
    assert unchanged(user)
    assert set_password(WebClient(app), new).status == 303


def test_a_revoked_invitation_link_is_refused(mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    path = invitation_path(invitation_mail(mail_catcher))
    user = invited(master)
    client.get("/hub/admin/users")
    assert client.post(f"/hub/admin/users/{user.user_id}",
                       {"action": "revoke_invitation"}).status == 303
    assert "invitation revoked" in client.get("/hub/admin/users").text
    refused = set_password(WebClient(app), path)
    assert refused.status == 400 and LINK_REFUSED in refused.text
    assert unchanged(user)


def test_a_malformed_or_tampered_token_is_refused_and_changes_nothing(mailing, client,
                                                                      mail_catcher):
    master = master_signed_in(client)
    invite(client)
    path = invitation_path(invitation_mail(mail_catcher))
    base, token = path.split("?token=")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for bad in (tampered, "short", "x" * 400, token + "A", "%00" * 10, ""):
        page = WebClient(app).get(f"{base}?token={bad}")
        assert page.status == 400 and LINK_REFUSED in page.text, bad
        assert 'name="password"' not in page.text
    assert unchanged(invited(master))


def test_a_token_for_another_companys_user_is_refused(mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    ours = invitation_path(invitation_mail(mail_catcher))
    other_company = WebClient(app)
    other_master = master_signed_in(other_company, "Beta IT")
    invite(other_company, "erin", "erin@example.com")
    theirs = invitation_path(invitation_mail(mail_catcher, "erin@example.com"))
    erin = invited(other_master, "erin")
    # Beta IT's token on Acme MSP's invitee, and the other way round.
    swapped = (ours.split("?")[0] + "?" + theirs.split("?")[1],
               theirs.split("?")[0] + "?" + ours.split("?")[1])
    for path in swapped:
        refused = set_password(WebClient(app), path)
        assert refused.status == 400 and LINK_REFUSED in refused.text
    assert unchanged(invited(master)) and unchanged(erin)
    # Nor can Acme MSP's Master resend or revoke Beta IT's invitation.
    for action in ("resend_invitation", "revoke_invitation"):
        client.get("/hub/admin/users")
        assert client.post(f"/hub/admin/users/{erin.user_id}",
                           {"action": action}).status == 404
    assert store.get_user(erin.user_id).invitation_hash == erin.invitation_hash


def test_a_password_the_policy_refuses_changes_nothing_and_keeps_the_link(
        mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    path = invitation_path(invitation_mail(mail_catcher))
    invitee = WebClient(app)
    for password, confirmation, message in (("password1", None, "too common"),
                                            ("short", None, "at least 8"),
                                            ("Dave-2024!", None, "not your name"),
                                            (NEW_PASSWORD, "something-else-99", "differ")):
        refused = set_password(invitee, path, password, confirmation)
        assert refused.status == 400 and message in refused.text, (password, refused.text[:300])
        assert 'name="password"' in refused.text
    assert unchanged(invited(master))
    assert set_password(invitee, path).status == 303


def test_a_deactivated_users_invitation_is_refused_and_reactivation_does_not_activate(
        mailing, client, mail_catcher):
    master = master_signed_in(client)
    invite(client)
    path = invitation_path(invitation_mail(mail_catcher))
    user = invited(master)
    client.get("/hub/admin/users")
    assert client.post(f"/hub/admin/users/{user.user_id}", {"action": "deactivate"}).status == 303
    refused = set_password(WebClient(app), path)
    assert refused.status == 400 and LINK_REFUSED in refused.text
    assert store.get_user(user.user_id).status == "deactivated"
    client.get("/hub/admin/users")
    client.post(f"/hub/admin/users/{user.user_id}", {"action": "reactivate"})
    # Never accepted: back to invited (no sign-in), and the old link still dead.
    assert store.get_user(user.user_id).status == "invited"
    assert set_password(WebClient(app), path).status == 400
    assert "invitation revoked" in client.get("/hub/admin/users").text


def test_a_user_created_with_a_password_is_active_with_an_unverified_email(mailing, client,
                                                                          mail_catcher):
    master = master_signed_in(client)
    client.get("/hub/admin/users")
    reply = client.post("/hub/admin/users", {"username": "fred", "email": "fred@example.com",
                                             "name": "Fred", "password": NEW_PASSWORD,
                                             "role": "User"})
    assert reply.status == 303 and "user_created" in reply.location
    fred = invited(master, "fred")
    assert fred.status == "active" and not fred.email_verified
    mail = mail_catcher.inbox.wait_for("fred@example.com", "Confirm your email address")
    assert any("/hub/verify-email/" in link for link in mail.links())
    assert not any("invited" in m.subject for m in mail_catcher.inbox.mails())
