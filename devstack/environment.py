"""The local stack's environment, settings and runtime, shared by `make run` and the devstack tools.

Everything lives under `.devstack/` (database, logs, the local key file); every process of the
stack gets the `dev` stage's values and never an AWS credential.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from chalicelib import runtime, settings

ROOT = Path(__file__).resolve().parent.parent
API_PORT = 8000
DYNAMODB_PORT = 8001
SMTP_PORT = 1025  # the mail catcher (devstack/mail_catcher.py)
INBOX_PORT = 8025
BASE_URL = f"http://localhost:{API_PORT}"


def dev_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every process in the local stack (the `dev` stage's values)."""
    env = dict(os.environ if base is None else base)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "LINKHUB_KMS_KEY_ID"):
        env.pop(name, None)  # the local stack never talks to AWS
    env.update(
        {
            "LINKHUB_STAGE": "dev",
            "LINKHUB_DYNAMODB_ENDPOINT": f"http://127.0.0.1:{DYNAMODB_PORT}",
            "LINKHUB_TABLE_PREFIX": "linkhub-dev-",
            "LINKHUB_LOCAL_KEY_FILE": ".devstack/local.key",
            "LINKHUB_BASE_URL": BASE_URL,
            # The sync queue on worker threads, as SQS would: Start Manual Sync answers at once.
            "LINKHUB_LOCAL_QUEUES": "background",
            # Delayed queue messages (an integration removal waiting for a sync run) kept on
            # disk, so stopping `make run` meanwhile does not lose them.
            "LINKHUB_LOCAL_QUEUE_DIR": ".devstack/queues",
            # Outbound mail goes to the mail catcher, read at http://localhost:8025/.
            "LINKHUB_SMTP_HOST": "127.0.0.1",
            "LINKHUB_SMTP_PORT": str(SMTP_PORT),
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": env.get("AWS_DEFAULT_REGION", "us-east-1"),
        }
    )
    return env


def dev_settings() -> settings.Settings:
    """Settings of the local stack, with the key file found from any working directory."""
    found = settings.from_environment(dev_environment())
    return found.with_overrides(local_key_file=str(ROOT / found.local_key_file),
                                local_queue_dir=str(ROOT / found.local_queue_dir))


def install_dev_runtime() -> runtime.Runtime:
    """Point this process at the local stack's database (devstack tools, demo loaders)."""
    os.environ.update({k: v for k, v in dev_environment().items() if k.startswith("AWS_")})
    return runtime.install(runtime.build(dev_settings()))
