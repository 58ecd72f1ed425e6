"""Mail through Amazon SES (API v2 `SendEmail`), from the configured sender identity."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.mail.message import Mail, MailNotSent


def _content(mail: Mail) -> dict[str, Any]:
    return {"Simple": {
        "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
        "Body": {"Text": {"Data": mail.text, "Charset": "UTF-8"},
                 "Html": {"Data": mail.html, "Charset": "UTF-8"}},
    }}


class SesMailer:
    """SES in `region`; the boto3 `sesv2` client is built on the first send unless one is given."""

    def __init__(self, sender: str, region: str, configuration_set: str = "",
                 client: Any = None) -> None:
        self.sender = sender
        self.configuration_set = configuration_set
        self._region = region
        self._client = client
        self._lock = threading.Lock()

    def request(self, mail: Mail) -> dict[str, Any]:
        """The `SendEmail` arguments for one mail."""
        arguments: dict[str, Any] = {
            "FromEmailAddress": self.sender,
            "Destination": {"ToAddresses": [mail.to]},
            "Content": _content(mail),
        }
        if self.configuration_set:
            arguments["ConfigurationSetName"] = self.configuration_set
        return arguments

    def send(self, mail: Mail) -> None:
        """One mail; MailNotSent when SES refuses it (unverified identity, throttled, paused)."""
        client = self._ses()
        try:
            client.send_email(**self.request(mail))
        except client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise MailNotSent(f"SES {code}") from exc

    def _ses(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3  # only where mail is sent: boto3 costs cold-start time

                self._client = boto3.client("sesv2", region_name=self._region)
            return self._client
