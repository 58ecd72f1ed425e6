"""The local stack's mail catcher: a real SMTP server (aiosmtpd) and a web inbox to read its mail.

`make run` starts it (SMTP on 1025, the inbox on http://localhost:8025/) and points the app at it;
tests start one on free ports and read the mails it caught. Mails live in memory: a new run starts
with an empty inbox. Nothing is relayed anywhere.
"""

from __future__ import annotations

import datetime as dt
import email
import html
import json
import re
import threading
import time
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class CaughtMail:
    """One mail as the catcher received it."""

    number: int
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str
    received_at: str

    def links(self) -> list[str]:
        """Every http(s) link in the plain text, in order."""
        return LINK.findall(self.text)


def _parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a mail ("" for a part it lacks)."""
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = text_part.get_content() if text_part is not None else ""
    markup = html_part.get_content() if html_part is not None else ""
    return str(text), str(markup)


class Inbox:
    """The caught mails, newest last; safe to read while the SMTP server adds to it."""

    def __init__(self) -> None:
        self._mails: list[CaughtMail] = []
        self._changed = threading.Condition()

    def add(self, sender: str, recipients: list[str], raw: bytes) -> CaughtMail:
        message = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(message, EmailMessage)
        text, markup = _parts(message)
        with self._changed:
            mail = CaughtMail(len(self._mails) + 1, sender, list(recipients),
                              str(message.get("Subject", "")), text, markup,
                              dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
            self._mails.append(mail)
            self._changed.notify_all()
        return mail

    def mails(self) -> list[CaughtMail]:
        with self._changed:
            return list(self._mails)

    def wait_for(self, to: str, subject: str = "", timeout: float = 10.0,
                 after: int = 0) -> CaughtMail:
        """The first mail numbered above `after` to `to` whose subject contains `subject`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for mail in self._mails[after:]:
                    if to in mail.to and subject in mail.subject:
                        return mail
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no mail to {to} ({subject!r}) within {timeout}s")
                self._changed.wait(left)


class _SmtpHandler:
    """aiosmtpd's handler: every mail goes to the inbox."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.inbox.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                       or envelope.content)
        return "250 Message accepted for delivery"


def _with_links(text: str) -> str:
    """Plain text as HTML, its links clickable."""
    escaped = html.escape(text)
    return LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)


_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
         "</head><body style=\"font-family: sans-serif; max-width: 900px; margin: 24px auto\">"
         "<h1>{title}</h1>{body}</body></html>")


def inbox_page(inbox: Inbox) -> str:
    """The list of mails, newest first."""
    rows = "".join(
        f"<tr><td>{m.received_at}</td><td>{html.escape(', '.join(m.to))}</td>"
        f'<td><a href="/mail/{m.number}">{html.escape(m.subject or "(no subject)")}</a></td></tr>'
        for m in reversed(inbox.mails()))
    body = ("<table><tr><th>Received (UTC)</th><th>To</th><th>Subject</th></tr>" + rows
            + "</table>") if rows else "<p>No mail yet.</p>"
    return _PAGE.format(title="linkhub mail catcher", body=body)


def mail_page(mail: CaughtMail) -> str:
    """One mail: its headers and its plain text with clickable links."""
    body = (f"<p><a href=\"/\">Inbox</a></p><p>From: {html.escape(mail.sender)}<br>"
            f"To: {html.escape(', '.join(mail.to))}<br>Received: {mail.received_at}</p>"
            f"<pre style=\"white-space: pre-wrap\">{_with_links(mail.text)}</pre>")
    return _PAGE.format(title=html.escape(mail.subject or "(no subject)"), body=body)


def _web_handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class InboxPages(BaseHTTPRequestHandler):
        """GET /, /mail/<n> and /api/mails (JSON) of the inbox."""

        def do_GET(self) -> None:  # noqa: N802
            mails = inbox.mails()
            if self.path == "/":
                self._answer(200, "text/html", inbox_page(inbox))
            elif self.path == "/api/mails":
                self._answer(200, "application/json", json.dumps([asdict(m) for m in mails]))
            elif (found := re.fullmatch(r"/mail/(\d{1,9})", self.path)) and \
                    0 < int(found.group(1)) <= len(mails):
                self._answer(200, "text/html", mail_page(mails[int(found.group(1)) - 1]))
            else:
                self._answer(404, "text/plain", "No such page.")

        def _answer(self, status: int, kind: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return InboxPages


class MailCatcher:
    """The SMTP server and (with `web_port`) the inbox page, each on its own thread."""

    def __init__(self, smtp_port: int, web_port: int | None = None,
                 host: str = "127.0.0.1") -> None:
        self.inbox = Inbox()
        self.host = host
        self.smtp_port = smtp_port
        self.web_port = web_port
        self._smtp = Controller(_SmtpHandler(self.inbox), hostname=host, port=smtp_port)
        self._web: ThreadingHTTPServer | None = None

    def start(self) -> MailCatcher:
        self._smtp.start()
        if self.web_port is not None:
            self._web = ThreadingHTTPServer((self.host, self.web_port), _web_handler(self.inbox))
            threading.Thread(target=self._web.serve_forever, name="mail-inbox",
                             daemon=True).start()
        return self

    def stop(self) -> None:
        self._smtp.stop()
        if self._web is not None:
            self._web.shutdown()
            self._web.server_close()
