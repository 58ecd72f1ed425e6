"""Every environment variable linkhub reads, typed, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# The SQS queue that carries the hub's lifecycle events to modules in AWS (infra/ creates it).
LIFECYCLE_QUEUE_NAME = "linkhub-lifecycle"
SYNC_QUEUE_NAME = "linkhub-sync"
# The SQS queue of outbound mail: requests enqueue, its consumer composes and sends.
MAIL_QUEUE_NAME = "linkhub-mail"
# Without a queue URL: "inline" hands each message to its consumer inside the sender's call (unit
# tests rely on that), "background" to a worker thread of this process, as SQS would (make run).
LOCAL_QUEUE_MODES = ("inline", "background")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _local_queues(value: str) -> str:
    """A known local queue mode; anything else is refused at start, never silently inline."""
    chosen = value.strip().lower() or LOCAL_QUEUE_MODES[0]
    if chosen not in LOCAL_QUEUE_MODES:
        raise ValueError(f"LINKHUB_LOCAL_QUEUES must be one of {', '.join(LOCAL_QUEUE_MODES)}")
    return chosen


@dataclass(frozen=True)
class Settings:
    """Runtime configuration; explicit arguments beat the environment."""

    stage: str = "dev"
    region: str = "us-east-1"
    table_prefix: str = "linkhub-dev-"
    # DynamoDB endpoint: DynamoDB Local or moto server; empty means AWS (or moto's in-process mock).
    dynamodb_endpoint: str = ""
    # Public base URL of the app, used for the OIDC issuer and redirect URIs.
    base_url: str = "http://localhost:8000"
    # Signs cookies, CSRF tokens and login-attempt state. Locally derived from the key file.
    signing_secret: str = field(default="", repr=False)
    # Local encryption key (hex, 32 bytes) for secrets at rest when no KMS key is configured.
    local_key_hex: str = field(default="", repr=False)
    local_key_file: str = ".devstack/local.key"
    kms_key_id: str = ""
    sync_queue_url: str = ""
    lifecycle_queue_url: str = ""
    # How the sync queue runs without a queue URL: one of LOCAL_QUEUE_MODES.
    local_queues: str = "inline"
    # Where local queues keep delayed messages so a restart delivers them ("": in memory only).
    local_queue_dir: str = ""
    # Base URL of the SaaS Protection REST API that IT Docs syncs from.
    saas_api_base_url: str = "http://localhost:8000/api/v1"
    mail_queue_url: str = ""
    # Outbound mail: the From address (an SES-verified identity in AWS). With an SMTP host mail
    # goes over SMTP (the devstack's mail catcher); without one through Amazon SES.
    mail_sender: str = "linkhub <no-reply@linkhub.localhost>"
    smtp_host: str = ""
    smtp_port: int = 1025
    ses_configuration_set: str = ""
    # Vendor realism for local runs and tests of the REST API's `/seats` (0: off, the default):
    # milliseconds of latency per seat of the listed customer, and a 504 above this many seats.
    vendor_seat_latency_ms: float = 0.0
    vendor_seats_504_above: int = 0

    @property
    def cookie_secure(self) -> bool:
        """Cookies are Secure everywhere except a local plain-HTTP stage."""
        return not self.base_url.startswith("http://")

    @property
    def hub_issuer(self) -> str:
        return self.base_url.rstrip("/") + "/hub"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_environment(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (the Chalice stage config sets these)."""
    env = os.environ if environ is None else environ
    stage = env.get("LINKHUB_STAGE", "dev")
    return Settings(
        stage=stage,
        region=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        table_prefix=env.get("LINKHUB_TABLE_PREFIX", f"linkhub-{stage}-"),
        dynamodb_endpoint=env.get("LINKHUB_DYNAMODB_ENDPOINT", ""),
        base_url=env.get("LINKHUB_BASE_URL", "http://localhost:8000"),
        signing_secret=env.get("LINKHUB_SIGNING_SECRET", ""),
        local_key_hex=env.get("LINKHUB_LOCAL_KEY", ""),
        local_key_file=env.get("LINKHUB_LOCAL_KEY_FILE", ".devstack/local.key"),
        kms_key_id=env.get("LINKHUB_KMS_KEY_ID", ""),
        sync_queue_url=env.get("LINKHUB_SYNC_QUEUE_URL", ""),
        lifecycle_queue_url=env.get("LINKHUB_LIFECYCLE_QUEUE_URL", ""),
        local_queues=_local_queues(env.get("LINKHUB_LOCAL_QUEUES", "")),
        local_queue_dir=env.get("LINKHUB_LOCAL_QUEUE_DIR", ""),
        # Unset, IT Docs syncs from the Partner Portal's REST API on this same app.
        saas_api_base_url=env.get("LINKHUB_SAAS_API_BASE_URL")
        or env.get("LINKHUB_BASE_URL", "http://localhost:8000").rstrip("/") + "/api/v1",
        mail_queue_url=env.get("LINKHUB_MAIL_QUEUE_URL", ""),
        mail_sender=env.get("LINKHUB_MAIL_SENDER") or "linkhub <no-reply@linkhub.localhost>",
        smtp_host=env.get("LINKHUB_SMTP_HOST", ""),
        smtp_port=int(env.get("LINKHUB_SMTP_PORT") or 1025),
        ses_configuration_set=env.get("LINKHUB_SES_CONFIGURATION_SET", ""),
        vendor_seat_latency_ms=float(env.get("LINKHUB_VENDOR_SEAT_LATENCY_MS") or 0),
        vendor_seats_504_above=int(env.get("LINKHUB_VENDOR_SEATS_504_ABOVE") or 0),
    )
