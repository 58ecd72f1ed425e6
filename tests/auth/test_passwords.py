"""Password storage and policy per the security baseline."""

from __future__ import annotations

import pytest

from chalicelib.auth import passwords
from chalicelib.errors import InvalidInput


def test_argon2id_with_baseline_parameters():
    stored = passwords.hash_password("blue-harbour-lantern-42")
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert passwords.verify(stored, "blue-harbour-lantern-42")
    assert not passwords.verify(stored, "blue-harbour-lantern-43")


@pytest.mark.parametrize("bad", ["short", "x" * 129, "password123", "Qwerty123", "iloveyou"])
def test_policy_refuses_short_long_and_common_passwords(bad):
    with pytest.raises(InvalidInput):
        passwords.hash_password(bad)


def test_no_composition_rules():
    assert passwords.hash_password("all lowercase words here")


def test_unknown_user_still_costs_a_verification_and_fails():
    assert passwords.verify(None, "anything-at-all") is False
