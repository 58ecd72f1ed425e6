"""The push wire format shared by the hub and devices: keys, signed messages, enrollment payload.

A device holds an Ed25519 or ECDSA P-256 (ES256) key pair. It signs two kinds of message, each
starting with its own label so a signature made for one can never pass as the other:
a request ("list my pending challenges", timestamped and with a nonce) and an answer to one
challenge (challenge id, challenge nonce, chosen number, decision).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from chalicelib.errors import InvalidInput

ED25519 = "Ed25519"
ES256 = "ES256"
ALGORITHMS = (ED25519, ES256)
PAYLOAD_PREFIX = "lhpush1."
APPROVE = "approve"
DENY = "deny"
DECISIONS = (APPROVE, DENY)
# Headers of a signed device request.
USER_HEADER = "x-push-user"
DEVICE_HEADER = "x-push-device"
TIMESTAMP_HEADER = "x-push-timestamp"
NONCE_HEADER = "x-push-nonce"
SIGNATURE_HEADER = "x-push-signature"

PublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidInput("Malformed base64 value.") from exc


# -- keys ------------------------------------------------------------------------------------------
def load_public_key(algorithm: str, public_key: str) -> PublicKey:
    """Parse a base64url DER SubjectPublicKeyInfo and check it fits the algorithm."""
    if algorithm not in ALGORITHMS:
        raise InvalidInput("Unsupported key algorithm; use Ed25519 or ES256.", field="algorithm")
    try:
        key = serialization.load_der_public_key(b64decode(public_key))
    except (ValueError, TypeError, InvalidInput) as exc:
        raise InvalidInput("The public key is not readable.", field="public_key") from exc
    if algorithm == ED25519 and isinstance(key, ed25519.Ed25519PublicKey):
        return key
    if (algorithm == ES256 and isinstance(key, ec.EllipticCurvePublicKey)
            and isinstance(key.curve, ec.SECP256R1)):
        return key
    raise InvalidInput("The public key does not match the algorithm.", field="public_key")


def public_key_text(private_key: PrivateKey) -> str:
    """The base64url DER SubjectPublicKeyInfo a device registers."""
    der = private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b64encode(der)


def new_private_key(algorithm: str) -> PrivateKey:
    if algorithm == ED25519:
        return ed25519.Ed25519PrivateKey.generate()
    if algorithm == ES256:
        return ec.generate_private_key(ec.SECP256R1())
    raise InvalidInput("Unsupported key algorithm; use Ed25519 or ES256.", field="algorithm")


def sign(private_key: PrivateKey, message: bytes) -> str:
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return b64encode(private_key.sign(message))
    return b64encode(private_key.sign(message, ec.ECDSA(hashes.SHA256())))


def verify(algorithm: str, public_key: str, signature: str, message: bytes) -> bool:
    """True when `signature` is the registered key's signature of `message`."""
    key = load_public_key(algorithm, public_key)
    try:
        raw = b64decode(signature)
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(raw, message)
        else:
            key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, InvalidInput, ValueError):
        return False
    return True


# -- signed messages -------------------------------------------------------------------------------
def _lines(*parts: object) -> bytes:
    for part in parts:
        if "\n" in str(part):
            raise InvalidInput("Line breaks are not allowed in signed values.")
    return "\n".join(str(part) for part in parts).encode()


def request_message(
    action: str, user_id: str, device_id: str, timestamp: int, nonce: str
) -> bytes:
    """What a device signs to authenticate a request (e.g. action 'pending')."""
    return _lines("linkhub-push-request-v1", action, user_id, device_id, timestamp, nonce)


def answer_message(challenge_id: str, nonce: str, number: int, decision: str) -> bytes:
    """What a device signs to answer a challenge: (challenge id, nonce, chosen number, decision)."""
    return _lines("linkhub-push-answer-v1", challenge_id, nonce, int(number), decision)


# -- enrollment payload ----------------------------------------------------------------------------
def encode_payload(data: dict[str, Any]) -> str:
    """The text in the enrollment QR code: a prefix and base64url JSON (safe in a shell)."""
    body = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return PAYLOAD_PREFIX + b64encode(body)


def decode_payload(text: str) -> dict[str, Any]:
    text = text.strip()
    if not text.startswith(PAYLOAD_PREFIX):
        raise InvalidInput("That is not a push enrollment code.")
    try:
        data = json.loads(b64decode(text[len(PAYLOAD_PREFIX):]))
    except ValueError as exc:
        raise InvalidInput("That push enrollment code is damaged.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("That push enrollment code is damaged.")
    return data
