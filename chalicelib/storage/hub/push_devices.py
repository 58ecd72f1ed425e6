"""Hub push MFA devices: each user's push registration (devices, enrollment, recent pushes) and
the nonces of signed device requests already seen."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.models import Model

from chalicelib.errors import ConcurrentChange, NotFound
from chalicelib.storage import low_level
from chalicelib.storage.base import fixed_width_iso, is_condition_failure, translated, ttl_after


class HubPushRegistrationModel(Model):
    """One record per user: devices by id, the outstanding enrollment, recent push times."""

    class Meta:
        logical_name = "hub_push_registrations"
        table_name = "hub_push_registrations"

    user_id = UnicodeAttribute(hash_key=True)
    company_id = UnicodeAttribute()
    company_name = UnicodeAttribute()
    username = UnicodeAttribute()
    # device id -> {"name", "algorithm", "public_key", "added_at", "last_used_at"} (times ISO UTC)
    devices = MapAttribute(default=dict)  # type: ignore[var-annotated]
    # {"key_hash": sha256 of the one-time credential, "expires_at": ISO UTC}; at most one at a time
    enrollment = MapAttribute(null=True)  # type: ignore[var-annotated]
    # epoch seconds of the pushes sent in the last rate-limit window
    push_times = ListAttribute(of=NumberAttribute, null=True)  # type: ignore[var-annotated]


class HubPushNonceModel(Model):
    """Nonces of signed device requests already accepted (replay protection)."""

    class Meta:
        logical_name = "hub_push_request_nonces"
        table_name = "hub_push_request_nonces"
        ttl_attribute = "expires_ttl"

    nonce_key = UnicodeAttribute(hash_key=True)
    expires_ttl = NumberAttribute()


@dataclass
class PushDevice:
    device_id: str
    name: str
    algorithm: str
    public_key: str  # base64url DER SubjectPublicKeyInfo
    added_at: dt.datetime
    last_used_at: dt.datetime | None = None


@dataclass
class PushRegistration:
    user_id: str
    company_id: str
    company_name: str
    username: str
    devices: dict[str, PushDevice] = field(default_factory=dict)
    enrollment_key_hash: str | None = None
    enrollment_expires_at: dt.datetime | None = None
    # As stored (None when never written): conditional writes compare against this exact value.
    push_times: list[int] | None = None


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _device(device_id: str, raw: dict[str, Any]) -> PushDevice:
    return PushDevice(
        device_id=device_id,
        name=str(raw["name"]),
        algorithm=str(raw["algorithm"]),
        public_key=str(raw["public_key"]),
        added_at=_time(raw["added_at"]),  # type: ignore[arg-type]
        last_used_at=_time(raw.get("last_used_at") or None),
    )


def _registration(m: HubPushRegistrationModel) -> PushRegistration:
    devices = m.devices.as_dict() if m.devices else {}
    enrollment = m.enrollment.as_dict() if m.enrollment else {}
    return PushRegistration(
        user_id=m.user_id,
        company_id=m.company_id,
        company_name=m.company_name,
        username=m.username,
        devices={key: _device(key, value) for key, value in devices.items()},
        enrollment_key_hash=enrollment.get("key_hash"),
        enrollment_expires_at=_time(enrollment.get("expires_at")),
        push_times=(None if m.push_times is None
                    else [int(t) for t in cast(list[float], m.push_times)]),
    )


def get_registration(user_id: str) -> PushRegistration | None:
    try:
        with translated():
            return _registration(HubPushRegistrationModel.get(user_id))
    except HubPushRegistrationModel.DoesNotExist:
        return None


def issue_enrollment(
    user_id: str, company_id: str, company_name: str, username: str, key_hash: str,
    expires_at: dt.datetime,
) -> None:
    """Store a new one-time enrollment credential (replacing any earlier one) for the user."""
    model = HubPushRegistrationModel
    with translated():
        model(user_id).update(
            actions=[
                model.company_id.set(company_id),
                model.company_name.set(company_name),
                model.username.set(username),
                model.enrollment.set(
                    {"key_hash": key_hash, "expires_at": fixed_width_iso(expires_at)}
                ),
                model.devices.set(model.devices | {}),
            ]
        )


def add_device(
    user_id: str, key_hash: str, device: PushDevice, now: dt.datetime, max_devices: int
) -> PushRegistration:
    """Register a device with the enrollment credential, using the credential up in the same write.

    Conditions: the credential is the outstanding one and unexpired (so a second use, or a use
    after a newer credential was issued, fails) and the user has fewer than `max_devices`.
    """
    model = HubPushRegistrationModel
    record = model(user_id)
    entry = {
        "name": device.name,
        "algorithm": device.algorithm,
        "public_key": device.public_key,
        "added_at": fixed_width_iso(device.added_at),
        "last_used_at": "",
    }
    condition = (
        (model.enrollment["key_hash"] == key_hash)  # type: ignore[index]
        & (model.enrollment["expires_at"] > fixed_width_iso(now))  # type: ignore[index]
        & (size(model.devices) < max_devices)
        & model.devices[device.device_id].does_not_exist()  # type: ignore[index]
    )
    try:
        with translated():
            record.update(
                actions=[model.devices[device.device_id].set(entry),  # type: ignore[index]
                         model.enrollment.remove()],
                condition=condition,
            )
    except UpdateError as exc:
        if is_condition_failure(exc):
            raise ConcurrentChange("The enrollment credential is no longer valid.") from exc
        raise
    return _registration(record)


def remove_device(user_id: str, device_id: str) -> str:
    """Remove one device of the user (one UpdateItem) and return the name it had, for the user's
    alert mail; a device the user does not have is NotFound."""
    answer = low_level.call("UpdateItem", {
        "TableName": str(HubPushRegistrationModel.Meta.table_name),
        "Key": {"user_id": low_level.text(user_id)},
        "UpdateExpression": "REMOVE #d.#i", "ConditionExpression": "attribute_exists(#d.#i)",
        "ExpressionAttributeNames": {"#d": "devices", "#i": device_id},
        "ReturnValues": "UPDATED_OLD"})
    if answer is None:
        raise NotFound("No such device.")
    old = answer.get("Attributes", {}).get("devices", {}).get("M", {}).get(device_id, {})
    return str(old.get("M", {}).get("name", {}).get("S") or device_id)


def delete_registration(user_id: str) -> None:
    """Forget every device, the enrollment credential and the push history of a user."""
    with translated():
        try:
            HubPushRegistrationModel(user_id).delete()
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise


def remember_request_nonce(nonce_key: str, keep_until: dt.datetime) -> bool:
    """Record a signed request's nonce; False when it was already seen (a replay)."""
    try:
        with translated():
            HubPushNonceModel(nonce_key, expires_ttl=ttl_after(keep_until, 0)).save(
                condition=HubPushNonceModel.nonce_key.does_not_exist()
            )
    except PutError as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True
