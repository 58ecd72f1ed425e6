"""Mail over SMTP (the devstack's mail catcher, or any relay) with the standard library."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from chalicelib.mail.message import Mail, MailNotSent

TIMEOUT_SECONDS = 10.0


def as_email(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message: plain text first, the simple HTML as its alternative."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpMailer:
    """Sends each mail over one new SMTP connection to `host:port`."""

    def __init__(self, host: str, port: int, sender: str) -> None:
        self.host = host
        self.port = port
        self.sender = sender

    def send(self, mail: Mail) -> None:
        """One mail; MailNotSent when the server is unreachable or refuses it."""
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as server:
                server.send_message(as_email(mail, self.sender))
        except (smtplib.SMTPException, OSError) as exc:
            raise MailNotSent(f"SMTP {self.host}:{self.port}: {type(exc).__name__}") from exc
