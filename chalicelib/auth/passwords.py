"""Password hashing (argon2id, m=19 MiB, t=2, p=1) and the password policy."""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from chalicelib.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 128
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32)
_COMMON_FILE = Path(__file__).parent / "common_passwords.txt"
PRODUCT_WORDS = ("linkhub", "hub", "partnerportal", "portal", "itdocs")
# Decoration a guesser appends or prepends to a word: digits, punctuation, spaces.
_LEADING = re.compile(r"^[^a-z]+")
_TRAILING = re.compile(r"[^a-z]+$")
_UNLEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                         "$": "s", "!": "i", "+": "t"})
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_SEPARATORS = re.compile(r"[\s._-]+")
MIN_BASE = 3


@functools.lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords (from breach corpora) and linkhub's own additions.

    Imported on first use, not at cold start: only setting a password needs the list.
    """
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    ours = (line.strip() for line in _COMMON_FILE.read_text().splitlines())
    return frozenset(
        word.lower() for word in (*FREQUENCY_LISTS["passwords"], *ours) if word
    )


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("linkhub-dummy-password-for-timing")


def _variants(text: str) -> set[str]:
    """The forms a guesser tries first: as typed, without decoration, without leetspeak.

    Every order of the three undoings is tried ("@lice1234" is "alice" once the trailing digits go
    before the leetspeak is read), with separators removed at the end.
    """
    steps: tuple[Callable[[str], str], ...] = (
        lambda form: form.translate(_UNLEET),
        lambda form: _LEADING.sub("", form),
        lambda form: _TRAILING.sub("", form),
    )
    forms, todo = {text.lower()}, [text.lower()]
    while todo:
        form = todo.pop()
        for step in steps:
            undone = step(form)
            if undone not in forms:
                forms.add(undone)
                todo.append(undone)
    forms |= {_SEPARATORS.sub("", form) for form in forms}
    return {form for form in forms if len(form) >= MIN_BASE}  # "a" + "!!!!!!!" is no word


def context_words(*values: str) -> set[str]:
    """The words of a user's context (username, company, email, product): whole and by part."""
    words: set[str] = set(PRODUCT_WORDS)
    for value in values:
        lowered = value.lower().strip()
        if not lowered:
            continue
        words.add(_SEPARATORS.sub("", lowered))
        words.update(part for part in _WORD_SPLIT.split(lowered) if len(part) >= 4)
    return words


def check_policy(password: str, context: Iterable[str] = ()) -> None:
    """8–128 characters, no composition rules; common passwords and context words refused.

    "Passw0rd!" and "linkhub123" are refused: a guesser strips the decoration and the leetspeak,
    so the check does too.
    """
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Use at least {MIN_LENGTH} characters.", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"Use at most {MAX_LENGTH} characters.", field="password")
    variants = _variants(password)
    if variants & _common():
        raise InvalidInput("That password is too common; choose another.", field="password")
    context_forms = {form for word in context_words(*context) for form in _variants(word)}
    if variants & context_forms:
        raise InvalidInput("Choose a password that is not your name, company or this product.",
                           field="password")


def hash_password(password: str, context: Iterable[str] = ()) -> str:
    """The argon2id hash of a password that passes the policy (`context`: the user's words)."""
    check_policy(password, context)
    return _hasher.hash(password)


def hash_secret(secret: str) -> str:
    """Hash a high-entropy machine secret (API secret keys) with the same argon2id settings."""
    return _hasher.hash(secret)


@dataclass
class VerificationCounter:
    """Password verifications while counting: against accounts' hashes, and against the dummy."""

    of_accounts: int = 0
    of_dummy: int = 0

    @property
    def total(self) -> int:
        return self.of_accounts + self.of_dummy


_counters: list[VerificationCounter] = []
_counters_lock = threading.Lock()


@contextmanager
def counting_verifications() -> Iterator[VerificationCounter]:
    """Count every verification made while the block runs, in any thread (tests, benchmarks):
    which guesses were evaluated, and whether each request did the same work."""
    counter = VerificationCounter()
    with _counters_lock:
        _counters.append(counter)
    try:
        yield counter
    finally:
        with _counters_lock:
            _counters.remove(counter)


def _count(against_account: bool) -> None:
    with _counters_lock:
        for counter in _counters:
            if against_account:
                counter.of_accounts += 1
            else:
                counter.of_dummy += 1


def verify(stored_hash: str | None, password: str) -> bool:
    """Constant-shape verification: a missing user verifies against a dummy hash."""
    _count(stored_hash is not None)
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def warm_up() -> None:
    """Compute the dummy hash ahead of the first login (it costs one hash)."""
    _dummy_hash()
