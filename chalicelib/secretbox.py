"""Encryption of secrets at rest: KMS in AWS, an AES-256-GCM key file locally and in tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets as _random
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.errors import LinkhubError
from chalicelib.settings import Settings


class SecretBox(Protocol):
    def encrypt(self, plaintext: bytes, context: str) -> str: ...

    def decrypt(self, token: str, context: str) -> bytes: ...


class SecretUnreadable(LinkhubError):
    """An encrypted secret failed authentication (wrong key, wrong context, or tampered)."""


class LocalSecretBox:
    """AES-256-GCM with a local key; `context` is bound as associated data."""

    prefix = "v1l:"

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("local key must be 32 bytes")
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, context: str) -> str:
        nonce = _random.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plaintext, context.encode())
        return self.prefix + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str, context: str) -> bytes:
        if not token.startswith(self.prefix):
            raise SecretUnreadable("unknown secret format")
        raw = base64.urlsafe_b64decode(token[len(self.prefix) :])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], context.encode())
        except Exception as exc:  # cryptography raises InvalidTag
            raise SecretUnreadable("secret failed authentication") from exc


class KmsSecretBox:
    """KMS Encrypt/Decrypt with the context as encryption context (secrets here are < 4 KB)."""

    prefix = "v1k:"

    def __init__(self, key_id: str, kms_client: Any) -> None:
        self._key_id = key_id
        self._kms = kms_client

    def encrypt(self, plaintext: bytes, context: str) -> str:
        out = self._kms.encrypt(
            KeyId=self._key_id, Plaintext=plaintext, EncryptionContext={"linkhub": context}
        )
        return self.prefix + base64.urlsafe_b64encode(out["CiphertextBlob"]).decode()

    def decrypt(self, token: str, context: str) -> bytes:
        if not token.startswith(self.prefix):
            raise SecretUnreadable("unknown secret format")
        blob = base64.urlsafe_b64decode(token[len(self.prefix) :])
        try:
            out = self._kms.decrypt(CiphertextBlob=blob, EncryptionContext={"linkhub": context})
        except Exception as exc:  # botocore ClientError: InvalidCiphertextException and kin
            raise SecretUnreadable("KMS refused to decrypt") from exc
        return bytes(out["Plaintext"])


def local_key(settings: Settings) -> bytes:
    """The local key: from settings, else the key file (created once, mode 0600)."""
    if settings.local_key_hex:
        return bytes.fromhex(settings.local_key_hex)
    path = Path(settings.local_key_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(_random.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def build_secret_box(settings: Settings, kms_client: Any = None) -> SecretBox:
    if settings.kms_key_id:
        if kms_client is None:
            import boto3

            kms_client = boto3.client("kms", region_name=settings.region)
        return KmsSecretBox(settings.kms_key_id, kms_client)
    return LocalSecretBox(local_key(settings))


def signing_secret(settings: Settings) -> bytes:
    """Secret for HMAC-signed cookies and tokens; derived from the local key when not set."""
    if settings.signing_secret:
        return settings.signing_secret.encode()
    return hmac.new(local_key(settings), b"linkhub-signing", hashlib.sha256).digest()


def derived_secret(settings: Settings, purpose: str) -> str:
    """A stable secret for a named purpose (e.g. a built-in OIDC client's secret)."""
    return hmac.new(signing_secret(settings), purpose.encode(), hashlib.sha256).hexdigest()
