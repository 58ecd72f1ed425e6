"""The outbound-mail port and the mail queue: requests enqueue, the queue's consumer sends.

Nothing is sent inside a request: a service enqueues a composed `Mail` (or a job that composes
mails, such as a password-reset request) on the runtime's mail queue, and the consumer app.py
wires (`handle`) sends it. A failed send is logged (`mail_send_failed`) and raised, so SQS delivers
the message again and, after its last try, moves it to the dead-letter queue, whose alarm fires.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chalicelib import logs
from chalicelib.mail import message
from chalicelib.mail.message import Mail, MailNotSent
from chalicelib.mail.ses import SesMailer
from chalicelib.mail.smtp import SmtpMailer
from chalicelib.runtime import Runtime

Job = Callable[[Runtime, dict[str, Any]], None]


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class Post:
    """This runtime's mailer (SMTP when an SMTP host is set, else SES), built on first use."""

    def __init__(self, mailer: Mailer) -> None:
        self.mailer = mailer


def mailer_for(rt: Runtime) -> Mailer:
    """The runtime's one mailer, chosen by its settings."""
    return rt.cache(Post, _post).mailer


def _post(rt: Runtime) -> Post:
    settings = rt.settings
    if settings.smtp_host:
        return Post(SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_sender))
    return Post(SesMailer(settings.mail_sender, settings.region, settings.ses_configuration_set))


def enqueue(rt: Runtime, mail: Mail) -> None:
    """Hand a composed mail to the mail queue (one log line, never the text)."""
    logs.event("mail_queued", template=mail.template)
    rt.queues.mail.send(mail.to_json())


def enqueue_job(rt: Runtime, kind: str, payload: Mapping[str, str]) -> None:
    """Hand a job that composes mails (e.g. a password-reset request) to the mail queue."""
    rt.queues.mail.send(json.dumps({**payload, "kind": kind}))


def handle(rt: Runtime, body: str, jobs: Mapping[str, Job]) -> None:
    """One mail-queue message: send a mail, or run the job its kind names (app.py's consumer)."""
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        raise ValueError("a mail-queue message is a JSON object with a kind")
    kind = data["kind"]
    if kind == message.KIND:
        send(rt, Mail.from_payload(data))
        return
    if kind not in jobs:
        raise ValueError(f"unknown mail-queue message kind {kind!r}")
    jobs[kind](rt, data)


def send(rt: Runtime, mail: Mail) -> None:
    """Send now through the runtime's mailer; a failure is logged, then raised for a retry."""
    try:
        mailer_for(rt).send(mail)
    except MailNotSent as exc:
        logs.event("mail_send_failed", template=mail.template, reason=exc.reason)
        raise
    logs.event("mail_sent", template=mail.template)
