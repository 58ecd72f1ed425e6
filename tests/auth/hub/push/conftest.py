"""Push fixtures: the Chalice app (for the device's in-process HTTP) and a device key file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def chalice_app() -> Any:
    from app import app

    return app


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "devices" / "device.json"
