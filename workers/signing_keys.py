"""The hub's daily function: rotate the ID-token signing key when it is due."""

from __future__ import annotations

from typing import Any

from chalicelib import runtime
from chalicelib.auth.hub.oidc import keys as hub_signing_keys


def signing_key_rotation(event: dict[str, Any], context: Any = None) -> None:
    """Rotate the hub's ID-token signing key once it is older than its rotation age."""
    hub_signing_keys.rotate_when_due(runtime.current())
