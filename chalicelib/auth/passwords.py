"""Password hashing (argon2id, m=19 MiB, t=2, p=1) and the password policy."""

from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chalicelib.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32)
_COMMON_FILE = Path(__file__).parent / "common_passwords.txt"


@functools.lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    return frozenset(
        line.strip().lower() for line in _COMMON_FILE.read_text().splitlines() if line.strip()
    )


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("linkhub-dummy-password-for-timing")


def check_policy(password: str) -> None:
    """8–128 characters, no composition rules, the most common passwords refused."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Use at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Use at most {MAX_LENGTH} characters.", field="password")
    if password.lower() in _common():
        raise InvalidInput("That password is too common; choose another.", field="password")


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


def hash_secret(secret: str) -> str:
    """Hash a high-entropy machine secret (API secret keys) with the same argon2id settings."""
    return _hasher.hash(secret)


def verify(stored_hash: str | None, password: str) -> bool:
    """Constant-shape verification: a missing user verifies against a dummy hash."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def warm_up() -> None:
    """Compute the dummy hash ahead of the first login (it costs one hash)."""
    _dummy_hash()
