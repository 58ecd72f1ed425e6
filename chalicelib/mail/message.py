"""One outbound mail as it travels on the mail queue: recipient, subject, plain text and HTML."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

KIND = "mail"


class MailNotSent(RuntimeError):
    """The mail service refused or could not take a mail; `reason` says why (no mail text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Mail:
    """A composed mail; `template` names what it is in logs (never its text, which may hold a
    single-use link)."""

    to: str
    subject: str
    text: str
    html: str
    template: str

    def to_json(self) -> str:
        return json.dumps({"kind": KIND, **asdict(self)})

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Mail:
        """The mail in a queue message's JSON object; ValueError when a field is missing."""
        try:
            return cls(**{name: str(data[name]) for name in
                          ("to", "subject", "text", "html", "template")})
        except KeyError as exc:
            raise ValueError(f"not a mail message: missing {exc}") from exc
