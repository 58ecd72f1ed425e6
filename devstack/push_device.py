"""The device side of push sign-in, for the local stack: a terminal stands in for a phone app.

    python -m devstack.push_device enroll --name "My laptop" lhpush1.eyJ...
    python -m devstack.push_device pending
    python -m devstack.push_device approve 3f2a 42
    python -m devstack.push_device deny 3f2a

`enroll` takes the enrollment code from the hub's account page (Add a device), makes an Ed25519
(or ES256) key pair and registers the public key. Keys live in one file per enrolled user under
.devstack/devices/ (or --key-file / LINKHUB_PUSH_DEVICES). `pending` lists the sign-in requests
waiting for every enrolled device: company, user, browser, time and the numbers offered; `approve`
sends the number the browser shows, `deny` refuses. Every request goes over HTTP to the running
app (http://localhost:8000 unless the enrollment code or --base-url says otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization

from chalicelib.auth.hub.push import protocol

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URL = "http://localhost:8000"
TIMEOUT = 10


class DeviceError(Exception):
    """The device could not do what was asked; the message tells the person why."""


def devices_dir() -> Path:
    return Path(os.environ.get("LINKHUB_PUSH_DEVICES", ROOT / ".devstack" / "devices"))


@dataclass(frozen=True)
class PendingChallenge:
    """A sign-in request as the device shows it."""

    challenge_id: str
    nonce: str
    choices: list[int]
    company: str
    username: str
    browser: str
    requested_at: str
    expires_at: str
    key_file: Path


class Device:
    """One enrolled device: its key file, and the hub it talks to."""

    def __init__(self, key_file: Path, http: Any = None, now: Callable[[], float] = time.time,
                 base_url: str | None = None) -> None:
        self.key_file = Path(key_file)
        try:
            self.data = json.loads(self.key_file.read_text())
        except (OSError, ValueError) as exc:
            raise DeviceError(f"Cannot read the device file {self.key_file}: {exc}") from exc
        self.private_key = serialization.load_pem_private_key(
            self.data["private_key"].encode(), password=None
        )
        self.http = http or requests.Session()
        self.now = now
        self.base_url = (base_url or self.data["base_url"]).rstrip("/")

    @property
    def label(self) -> str:
        return f"{self.data['username']} ({self.data['company']})"

    def _signed_headers(self, action: str) -> dict[str, str]:
        timestamp = int(self.now())
        nonce = protocol.b64encode(os.urandom(18))
        message = protocol.request_message(
            action, self.data["user_id"], self.data["device_id"], timestamp, nonce
        )
        return {
            protocol.USER_HEADER: self.data["user_id"],
            protocol.DEVICE_HEADER: self.data["device_id"],
            protocol.TIMESTAMP_HEADER: str(timestamp),
            protocol.NONCE_HEADER: nonce,
            protocol.SIGNATURE_HEADER: protocol.sign(self.private_key, message),  # type: ignore[arg-type]
        }

    def pending(self) -> list[PendingChallenge]:
        reply = self.http.get(f"{self.base_url}/hub/push/pending",
                              headers=self._signed_headers("pending"), timeout=TIMEOUT)
        data = _reply_json(reply)
        return [
            PendingChallenge(key_file=self.key_file, **{
                key: item[key] for key in ("challenge_id", "nonce", "choices", "company",
                                           "username", "browser", "requested_at", "expires_at")
            })
            for item in data["challenges"]
        ]

    def answer(self, challenge: PendingChallenge, number: int, approve: bool) -> str:
        """Sign and send the answer; returns the hub's outcome (approved, denied, wrong_number)."""
        decision = protocol.APPROVE if approve else protocol.DENY
        message = protocol.answer_message(challenge.challenge_id, challenge.nonce, number, decision)
        body = {
            "user_id": self.data["user_id"],
            "device_id": self.data["device_id"],
            "challenge_id": challenge.challenge_id,
            "nonce": challenge.nonce,
            "number": int(number),
            "decision": decision,
            "signature": protocol.sign(self.private_key, message),  # type: ignore[arg-type]
        }
        reply = self.http.post(f"{self.base_url}/hub/push/answer", json=body, timeout=TIMEOUT)
        return str(_reply_json(reply)["outcome"])


def _reply_json(reply: Any) -> dict[str, Any]:
    try:
        data = reply.json()
    except ValueError:
        data = {}
    if reply.status_code >= 400:
        raise DeviceError(data.get("message") or f"The hub answered HTTP {reply.status_code}.")
    return data  # type: ignore[no-any-return]


def _file_name(company: str, username: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{company}-{username}".lower()).strip("-") + ".json"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def enroll(
    payload: str, name: str = "Command-line authenticator", *, algorithm: str = protocol.ED25519,
    key_file: Path | str | None = None, base_url: str | None = None, http: Any = None,
    now: Callable[[], float] = time.time,
) -> Device:
    """Register a new key pair with the hub using the account page's enrollment code."""
    try:
        data = protocol.decode_payload(payload)
    except Exception as exc:
        raise DeviceError(str(exc)) from exc
    url = (base_url or data.get("url") or DEFAULT_BASE_URL).rstrip("/")
    private_key = protocol.new_private_key(algorithm)
    body = {
        "user_id": data.get("user_id", ""),
        "credential": data.get("credential", ""),
        "algorithm": algorithm,
        "public_key": protocol.public_key_text(private_key),
        "name": name,
    }
    http = http or requests.Session()
    registered = _reply_json(http.post(f"{url}/hub/push/enroll", json=body, timeout=TIMEOUT))
    path = Path(key_file) if key_file else devices_dir() / _file_name(
        registered["company"], registered["username"])
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    record = {"base_url": url, "algorithm": algorithm, "private_key": pem, **{
        key: registered[key] for key in ("user_id", "device_id", "name", "company", "username")
    }}
    _write_private(path, json.dumps(record, indent=2))
    return Device(path, http=http, now=now)


def enrolled(key_file: Path | str | None = None, base_url: str | None = None,
             http: Any = None, now: Callable[[], float] = time.time) -> list[Device]:
    """The device in `key_file`, or every device enrolled under the devices directory."""
    paths = [Path(key_file)] if key_file else sorted(devices_dir().glob("*.json"))
    if not paths:
        raise DeviceError("No device is enrolled yet: run `enroll` with a code from the "
                          "hub's account page first.")
    return [Device(path, http=http, now=now, base_url=base_url) for path in paths]


def pending(key_file: Path | str | None = None, base_url: str | None = None,
            http: Any = None, now: Callable[[], float] = time.time) -> list[PendingChallenge]:
    """Every sign-in request waiting for the enrolled device(s)."""
    return [c for device in enrolled(key_file, base_url, http, now) for c in device.pending()]


def answer(challenge_id: str, number: int, approve: bool, key_file: Path | str | None = None,
           base_url: str | None = None, http: Any = None,
           now: Callable[[], float] = time.time) -> str:
    """Approve (with the number the browser shows) or deny a pending request by id or id prefix."""
    matches = [
        (device, challenge)
        for device in enrolled(key_file, base_url, http, now)
        for challenge in device.pending()
        if challenge.challenge_id.startswith(challenge_id)
    ]
    if not matches:
        raise DeviceError(f"No pending sign-in request {challenge_id!r} (it may have expired).")
    if len(matches) > 1:
        raise DeviceError(f"{challenge_id!r} matches several requests; give more of its id.")
    device, challenge = matches[0]
    return device.answer(challenge, number, approve)


# -- command line ----------------------------------------------------------------------------------
def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The enroll / pending / approve / deny subcommands (devstack.authenticator reuses these)."""
    parser.add_argument("--key-file", help="device file (default: every file in .devstack/devices)")
    parser.add_argument("--base-url", help="the hub's address (default: from the enrollment code)")
    commands = parser.add_subparsers(dest="push_command", required=True)
    enroll_cmd = commands.add_parser("enroll", help="add this terminal as a push device")
    enroll_cmd.add_argument("payload", help="the enrollment code from the hub's account page")
    enroll_cmd.add_argument("--name", default="Command-line authenticator")
    enroll_cmd.add_argument("--algorithm", choices=protocol.ALGORITHMS, default=protocol.ED25519)
    commands.add_parser("pending", help="list sign-in requests waiting for approval")
    approve_cmd = commands.add_parser("approve", help="approve a sign-in request")
    approve_cmd.add_argument("challenge_id", help="the request's id (or the start of it)")
    approve_cmd.add_argument("number", type=int, help="the number the browser shows")
    deny_cmd = commands.add_parser("deny", help="deny a sign-in request")
    deny_cmd.add_argument("challenge_id", help="the request's id (or the start of it)")
    deny_cmd.add_argument("number", type=int, nargs="?", default=0)


def run(args: argparse.Namespace, out: Any = None) -> int:
    out = out or sys.stdout
    try:
        if args.push_command == "enroll":
            device = enroll(args.payload, args.name, algorithm=args.algorithm,
                            key_file=args.key_file, base_url=args.base_url)
            print(f"Enrolled {device.data['name']!r} for {device.label}; key in "
                  f"{device.key_file}", file=out)
        elif args.push_command == "pending":
            waiting = pending(args.key_file, args.base_url)
            if not waiting:
                print("No sign-in requests are waiting.", file=out)
            for c in waiting:
                print(f"{c.challenge_id}  {c.username} at {c.company}, {c.requested_at}\n"
                      f"    browser: {c.browser or 'unknown'}\n"
                      f"    which number does the browser show? "
                      f"{' / '.join(str(n) for n in c.choices)}", file=out)
        else:
            approve = args.push_command == "approve"
            outcome = answer(args.challenge_id, args.number, approve, args.key_file,
                             args.base_url)
            print({"approved": "Approved: the browser signs in.",
                   "denied": "Denied: the sign-in is refused.",
                   "wrong_number": "That number did not match: the sign-in is refused."}
                  .get(outcome, outcome), file=out)
    except (DeviceError, requests.RequestException) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.push_device", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
