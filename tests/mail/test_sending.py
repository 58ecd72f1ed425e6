"""The mail port: SES's request and refusals, SMTP through the mail catcher, the inbox page."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.mail import outbox
from chalicelib.mail.message import Mail, MailNotSent
from chalicelib.mail.ses import SesMailer
from chalicelib.mail.smtp import SmtpMailer
from chalicelib.mail.templates import compose
from devstack import dynamodb_local
from devstack.mail_catcher import MailCatcher

MAIL = Mail(to="alice@example.com", subject="Reset your Hub password",
            text="Open https://hub.example.com/hub/login/reset?token=abc now",
            html="<p><a href=\"https://hub.example.com/x\">Set</a></p>", template="password_reset")


def ses_client() -> object:
    return boto3.client("sesv2", region_name="eu-west-1", aws_access_key_id="k",
                        aws_secret_access_key="s")  # noqa: S106 (no AWS is reached: stubbed)


def test_ses_sends_text_and_html_from_the_sender_with_the_configuration_set() -> None:
    client = ses_client()
    with Stubber(client) as stub:
        stub.add_response("send_email", {"MessageId": "m-1"}, {
            "FromEmailAddress": "linkhub <no-reply@example.com>",
            "Destination": {"ToAddresses": ["alice@example.com"]},
            "Content": {"Simple": {
                "Subject": {"Data": MAIL.subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": MAIL.text, "Charset": "UTF-8"},
                         "Html": {"Data": MAIL.html, "Charset": "UTF-8"}}}},
            "ConfigurationSetName": "linkhub-prod",
        })
        SesMailer("linkhub <no-reply@example.com>", "eu-west-1", "linkhub-prod",
                  client=client).send(MAIL)
        stub.assert_no_pending_responses()


def test_a_refusal_by_ses_is_mail_not_sent_with_its_code() -> None:
    client = ses_client()
    with Stubber(client) as stub:
        stub.add_client_error("send_email", "MessageRejected", "Email address is not verified.")
        with pytest.raises(MailNotSent) as refused:
            SesMailer("no-reply@example.com", "eu-west-1", client=client).send(MAIL)
    assert refused.value.reason == "SES MessageRejected"


def test_smtp_delivers_both_parts_to_the_mail_catcher(mail_catcher: MailCatcher) -> None:
    SmtpMailer(mail_catcher.host, mail_catcher.smtp_port, "linkhub <no-reply@example.com>"
               ).send(MAIL)
    caught = mail_catcher.inbox.wait_for("alice@example.com")
    assert caught.subject == MAIL.subject and caught.sender == "no-reply@example.com"
    assert caught.text.strip() == MAIL.text and "<a href" in caught.html
    assert caught.links() == ["https://hub.example.com/hub/login/reset?token=abc"]


def test_an_unreachable_smtp_server_is_mail_not_sent() -> None:
    with pytest.raises(MailNotSent, match="SMTP"):
        SmtpMailer("127.0.0.1", dynamodb_local.free_port(), "no-reply@example.com").send(MAIL)


def test_the_html_part_escapes_what_users_typed() -> None:
    mail = compose("password_changed", "a@example.com", "Changed", name="<script>x</script>",
                   username="a&b", company="Acme", when="now", forgot_link="http://h/f")
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert "<script>x</script>" in mail.text  # plain text is shown as text by mail programs


def test_an_unknown_message_kind_on_the_mail_queue_fails_for_a_retry(aws) -> None:
    with pytest.raises(ValueError, match="unknown"):
        outbox.handle(aws, json.dumps({"kind": "nonsense"}), jobs={})
    with pytest.raises(ValueError, match="missing"):
        outbox.handle(aws, json.dumps({"kind": "mail", "to": "a@example.com"}), jobs={})


def test_the_inbox_page_lists_mails_and_shows_their_links_clickable() -> None:
    catcher = MailCatcher(dynamodb_local.free_port(), dynamodb_local.free_port()).start()
    try:
        SmtpMailer(catcher.host, catcher.smtp_port, "no-reply@example.com").send(MAIL)
        catcher.inbox.wait_for("alice@example.com")
        base = f"http://{catcher.host}:{catcher.web_port}"
        with urllib.request.urlopen(base + "/") as reply:  # noqa: S310 (local)
            listing = reply.read().decode()
        assert 'href="/mail/1">Reset your Hub password</a>' in listing
        with urllib.request.urlopen(base + "/mail/1") as reply:  # noqa: S310 (local)
            shown = reply.read().decode()
        link = "https://hub.example.com/hub/login/reset?token=abc"
        assert f'<a href="{link}">{link}</a>' in shown
        with urllib.request.urlopen(base + "/api/mails") as reply:  # noqa: S310 (local)
            assert json.loads(reply.read())[0]["to"] == ["alice@example.com"]
    finally:
        catcher.stop()
