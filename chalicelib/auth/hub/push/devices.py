"""Push devices: one-time enrollment credentials, registering a device's public key, the account
page's list and Remove, MFA reset, and authenticating a device's signed requests."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib import logs
from chalicelib.auth.hub import security_alerts, totp
from chalicelib.auth.hub.policy import can
from chalicelib.auth.hub.push import challenges, protocol
from chalicelib.clock import epoch_seconds
from chalicelib.errors import ConcurrentChange, Forbidden, InvalidInput, NotAuthenticated
from chalicelib.runtime import Runtime
from chalicelib.storage.hub import push_devices as store
from chalicelib.storage.hub import users as user_store
from chalicelib.storage.hub.push_devices import PushDevice, PushRegistration
from chalicelib.storage.hub.users import HubUser

ENROLLMENT_LIFETIME = dt.timedelta(minutes=10)
MAX_DEVICES = 5
# A signed device request is accepted this many seconds either side of the server's clock.
REQUEST_MAX_SKEW = 60
ENROLLMENT_REFUSED = (
    "This enrollment code is not valid: it was already used, replaced by a newer one, or has "
    "expired. Create a new one on your account page."
)


@dataclass(frozen=True)
class Enrollment:
    """What the account page shows to add a device: the payload, its QR code, its expiry."""

    payload: str
    qr: str
    expires_at: dt.datetime


def _credential_hash(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def start_enrollment(rt: Runtime, actor: HubUser) -> Enrollment:
    """Issue a one-time, short-lived enrollment credential (replacing any earlier one)."""
    if not can(actor, "device.enroll"):
        raise Forbidden()
    if not actor.totp_secret:
        raise InvalidInput("Set up a 2FA token before adding a push device.")
    credential = rt.random.token(32)
    expires_at = rt.clock.now() + ENROLLMENT_LIFETIME
    if actor.push_devices != "some":
        user_store.mark_push_devices(actor.user_id)  # first: the login reads the devices from now
    store.issue_enrollment(actor.user_id, actor.company_id, actor.company_name, actor.username,
                           _credential_hash(credential), expires_at)
    payload = protocol.encode_payload({
        "v": 1,
        "url": rt.settings.base_url.rstrip("/"),
        "user_id": actor.user_id,
        "credential": credential,
        "company": actor.company_name,
        "username": actor.username,
        "expires_at": expires_at.isoformat(),
    })
    logs.event("push_enrollment_issued", user_id=actor.user_id)
    return Enrollment(payload=payload, qr=totp.qr_data_uri(payload), expires_at=expires_at)


def device_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name or len(name) > 60 or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput("Name the device in 1–60 printable characters.", field="name")
    return name


def enroll(
    rt: Runtime, *, user_id: str, credential: str, algorithm: str, public_key: str, name: str,
    origin: security_alerts.Origin = security_alerts.UNKNOWN,
) -> tuple[PushRegistration, PushDevice]:
    """Register a device's public key with a valid enrollment credential (which is used up).

    DynamoDB calls: registration read, one conditional update.
    """
    protocol.load_public_key(algorithm, public_key)
    name = device_name(name)
    registration = store.get_registration(user_id) if user_id else None
    now = rt.clock.now()
    if (
        registration is None
        or not registration.enrollment_key_hash
        or not hmac.compare_digest(registration.enrollment_key_hash, _credential_hash(credential))
        or registration.enrollment_expires_at is None
        or now >= registration.enrollment_expires_at
    ):
        raise NotAuthenticated(ENROLLMENT_REFUSED)
    if len(registration.devices) >= MAX_DEVICES:
        raise InvalidInput(f"You already have {MAX_DEVICES} push devices. Remove one first.")
    device = PushDevice(device_id=rt.random.hex(8), name=name, algorithm=algorithm,
                        public_key=public_key, added_at=now)
    try:
        updated = store.add_device(user_id, _credential_hash(credential), device, now, MAX_DEVICES)
    except ConcurrentChange as exc:
        raise NotAuthenticated(ENROLLMENT_REFUSED) from exc
    logs.event("push_device_added", user_id=user_id, device_id=device.device_id)
    security_alerts.push_device_added(rt, user_id, device.name, origin)
    return updated, device


def devices_of(actor: HubUser) -> list[PushDevice]:
    """The actor's devices, oldest first (the account page's list)."""
    if not can(actor, "device.list"):
        raise Forbidden()
    registration = store.get_registration(actor.user_id)
    if registration is None:
        return []
    return sorted(registration.devices.values(), key=lambda d: d.added_at)


def remove(rt: Runtime, actor: HubUser, device_id: str,
           origin: security_alerts.Origin = security_alerts.UNKNOWN) -> None:
    """Remove one of the actor's own devices; its open sign-in requests are withdrawn.
    DynamoDB calls: the device's removal (which returns its name), the recent requests' Query."""
    if not can(actor, "device.remove"):
        raise Forbidden()
    name = store.remove_device(actor.user_id, device_id)
    challenges.withdraw_in_flight(rt, actor.user_id)
    logs.event("push_device_removed", user_id=actor.user_id, device_id=device_id)
    security_alerts.push_device_removed(rt, actor, name, origin)


def reset(rt: Runtime, actor: HubUser, target: HubUser) -> None:
    """MFA reset by a Master: forget every push device of the target and withdraw their requests."""
    if not can(actor, "user.reset_mfa", target):
        raise Forbidden()
    if target.push_devices == "none":
        return  # never began a push enrollment: no device, no push request to withdraw
    store.delete_registration(target.user_id)
    challenges.withdraw_in_flight(rt, target.user_id)


def authenticate_request(
    rt: Runtime, headers: Mapping[str, str], action: str
) -> tuple[PushRegistration, PushDevice]:
    """The device that signed this request, or NotAuthenticated (bad, old or replayed).

    DynamoDB calls: registration read, then the nonce's conditional put.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    user_id = lowered.get(protocol.USER_HEADER, "")
    device_id = lowered.get(protocol.DEVICE_HEADER, "")
    nonce = lowered.get(protocol.NONCE_HEADER, "")
    signature = lowered.get(protocol.SIGNATURE_HEADER, "")
    try:
        timestamp = int(lowered.get(protocol.TIMESTAMP_HEADER, ""))
    except ValueError as exc:
        raise NotAuthenticated("The request is not signed.") from exc
    if not (user_id and device_id and signature) or not 16 <= len(nonce) <= 64:
        raise NotAuthenticated("The request is not signed.")
    now = rt.clock.now()
    if abs(epoch_seconds(now) - timestamp) > REQUEST_MAX_SKEW:
        raise NotAuthenticated("The request is too old. Check the device's clock.")
    registration = store.get_registration(user_id)
    device = registration.devices.get(device_id) if registration else None
    if registration is None or device is None:
        raise NotAuthenticated("This device is not registered.")
    message = protocol.request_message(action, user_id, device_id, timestamp, nonce)
    if not protocol.verify(device.algorithm, device.public_key, signature, message):
        raise NotAuthenticated("The request's signature is not valid.")
    keep_until = now + dt.timedelta(seconds=2 * REQUEST_MAX_SKEW)
    if not store.remember_request_nonce(f"{user_id}:{device_id}:{nonce}", keep_until):
        raise NotAuthenticated("This request was already received (replayed).")
    return registration, device


def pending_for_request(rt: Runtime, headers: Mapping[str, str]) -> list[dict[str, object]]:
    """The open sign-in requests of the user whose device signed this request."""
    registration, _ = authenticate_request(rt, headers, "pending")
    return challenges.pending_for_device(rt, registration.user_id)
