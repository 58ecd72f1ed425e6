"""The hub's cold start and login: import time of `app` against its dependencies, then each login
step's time, CPU and DynamoDB calls, in-process (chalice.test.Client) against DynamoDB Local.

The call budget of a login request is 3 DynamoDB calls and no Scan; the last column says whether
each request kept it (counted through botocore's event hooks, transactions included).

The CPU table splits a warm login's CPU into the password hash (argon2id, timed inside the
request) and everything else, and says how much of everything else is spent inside the login's
DynamoDB calls (on the lean transport, `storage.dynamodb_wire`); next to the same logins made in
the same run with those calls on the botocore client, and to floors measured in the same run: the
hash alone, and one GetItem on each transport, repeated in a tight loop (the client CPU a call
costs at best) and right after a verification (the hash leaves the caches cold, as they are for
the calls of a login). The goal: everything else at most 20% of the hash.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import median, percentile, table

ROOT = Path(__file__).resolve().parent.parent
DEPENDENCIES = ["chalice", "pynamodb", "jwt", "pyotp", "argon2", "cryptography", "jinja2", "segno"]
IMPORT_RUNS = 7
LOGINS = 15
CALL_BUDGET = 3
PASSWORD = "bench-login-password-7"
COMPANY = "Bench MSP"


# -- import time -----------------------------------------------------------------------------------
def import_ms(statement: str, before: str = "", runs: int = IMPORT_RUNS) -> list[float]:
    """Milliseconds `statement` takes in fresh interpreters, after `before` (untimed).

    One extra, untimed run first compiles any missing bytecode.
    """
    code = (f"{before}\nimport time\nstarted = time.perf_counter()\n{statement}\n"
            "print((time.perf_counter() - started) * 1000)")
    samples = []
    for run in range(runs + 1):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_import_env(),
                             check=True, capture_output=True, text=True).stdout
        if run:
            samples.append(float(out.strip().splitlines()[-1]))
    return samples


def _import_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def import_cost_by_package(statement: str = "import app", top: int = 8) -> list[list[object]]:
    """Where `statement`'s import time goes: `-X importtime` self times summed per top package."""
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT,
                         env=_import_env(), check=True, capture_output=True, text=True).stderr
    per_package: Counter[str] = Counter()
    modules: Counter[str] = Counter()
    for line in err.splitlines():
        parts = line.split("|")
        if len(parts) != 3 or not parts[0].strip().split()[-1].isdigit():
            continue
        package = parts[2].strip().split(".")[0]
        per_package[package] += int(parts[0].split()[-1])
        modules[package] += 1
    return [[package, micros / 1000, modules[package]]
            for package, micros in per_package.most_common(top)]


def import_table() -> str:
    rows: list[list[object]] = []
    every = "; ".join(f"import {name}" for name in DEPENDENCIES)
    for label, statement, before in [(f"import {n}", f"import {n}", "") for n in DEPENDENCIES] + [
        ("all eight dependencies", every, ""),
        ("import app", "import app", ""),
        ("import app, the eight already loaded", "import app", every),
    ]:
        samples = import_ms(statement, before)
        rows.append([label, median(samples), min(samples), max(samples)])
    deps, app_alone, app_after = rows[-3][1], rows[-2][1], rows[-1][1]
    note = (f"app imports in {app_alone:.0f} ms from cold; the eight bare imports are {deps:.0f} "
            f"ms of that, and the rest ({app_after:.0f} ms) is their submodules (botocore under "
            "pynamodb, cryptography's primitives...) and linkhub's own modules.\n")
    by_package = table("Where `import app` spends its time (-X importtime self time, one run)",
                       ["top-level package", "ms", "modules"], import_cost_by_package())
    return table(f"Import time, median of {IMPORT_RUNS} fresh interpreters (ms)",
                 ["import", "median", "min", "max"], rows) + note + "\n" + by_package


# -- login steps -----------------------------------------------------------------------------------
@dataclass
class StepFigures:
    """Every sample of one request of the login flow."""

    name: str
    ms: list[float] = field(default_factory=list)
    calls: list[Counter[str]] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    hash_ms: list[float] = field(default_factory=list)
    call_cpu_ms: list[float] = field(default_factory=list)

    def row(self) -> list[object]:
        worst = max(self.calls, key=lambda c: sum(c.values()))
        operations = Counter[str]()
        for counted in self.calls:
            operations.update(counted.keys())
        ops = ", ".join(sorted(operations)) or "none"
        kept = all(sum(c.values()) <= CALL_BUDGET and "Scan" not in c for c in self.calls)
        return [self.name, median(self.ms), percentile(self.ms, 0.9),
                median([sum(c.values()) for c in self.calls]), sum(worst.values()), ops,
                "yes" if kept else "NO"]

    @property
    def kept_budget(self) -> bool:
        return self.row()[-1] == "yes"


@contextmanager
def counting_every_call() -> Iterator[Counter[str]]:
    """DynamoDB calls by operation (models and transactions share one client)."""
    from chalicelib.storage import tables

    with tables.counting_calls() as counter:
        yield counter.calls


class LoginRecorder:
    """Times and counts each request of a login made through the WebClient."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.steps: dict[str, StepFigures] = {}
        self.recording = True

    def __call__(self, name: str, request: Callable[[], Any], status: int) -> Any:
        with counting_every_call() as calls, timing_hashes() as hashes, \
                timing_calls() as call_cpu:
            started, cpu_started = time.perf_counter(), time.process_time()
            reply = request()
            cpu = (time.process_time() - cpu_started) * 1000
            elapsed = (time.perf_counter() - started) * 1000
        if reply.status != status:
            raise RuntimeError(f"{name}: expected {status}, got {reply!r}")
        if self.recording:
            figures = self.steps.setdefault(name, StepFigures(name))
            figures.ms.append(elapsed)
            figures.calls.append(Counter(calls))
            figures.cpu_ms.append(cpu)
            figures.hash_ms.append(sum(hashes))
            figures.call_cpu_ms.append(sum(call_cpu))
        return reply


@contextmanager
def timing_calls() -> Iterator[list[float]]:
    """CPU milliseconds of each DynamoDB call made while the block runs, inside the botocore
    client (from its parameters given to the response parsed; the caller's own work excluded)."""
    from chalicelib.storage import tables

    events = tables.connection().client.meta.events
    samples: list[float] = []
    started: list[float] = []

    def begin(**_: Any) -> None:
        started.append(time.process_time())

    def end(**_: Any) -> None:
        samples.append((time.process_time() - started.pop()) * 1000)

    events.register("provide-client-params.dynamodb", begin)
    events.register("after-call.dynamodb", end)
    try:
        with timing_wire_calls(samples):
            yield samples
    finally:
        events.unregister("provide-client-params.dynamodb", begin)
        events.unregister("after-call.dynamodb", end)


@contextmanager
def timing_wire_calls(samples: list[float]) -> Iterator[None]:
    """CPU milliseconds of each call on the lean transport (signing, sending, parsing; retries
    included), appended to `samples` while the block runs."""
    from chalicelib.storage import low_level

    lean = low_level.wire()
    if lean is None:
        yield
        return
    post = lean.post

    def timed(operation: str, request: dict[str, Any]) -> dict[str, Any]:
        started = time.process_time()
        try:
            return post(operation, request)
        finally:
            samples.append((time.process_time() - started) * 1000)

    setattr(lean, "post", timed)  # noqa: B010 (an instance's method, timed for this block only)
    try:
        yield
    finally:
        delattr(lean, "post")


class TimedHasher:
    """The app's argon2 hasher, with the CPU of each `verify` noted while a bench times it."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.samples: list[float] | None = None

    def verify(self, stored: str, password: str) -> Any:
        started = time.process_time()
        try:
            return self.hasher.verify(stored, password)
        finally:
            if self.samples is not None:
                self.samples.append((time.process_time() - started) * 1000)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


@contextmanager
def timing_hashes() -> Iterator[list[float]]:
    """CPU milliseconds of each password verification made while the block runs."""
    from chalicelib.auth import passwords

    timed = passwords._hasher
    if not isinstance(timed, TimedHasher):
        timed = TimedHasher(timed)
        passwords._hasher = timed  # type: ignore[assignment]
    timed.samples = []
    try:
        yield timed.samples
    finally:
        timed.samples = None


def hash_floor_ms(runs: int = 15) -> list[float]:
    """CPU milliseconds of one argon2id verification with the app's parameters, alone."""
    plain, stored = _plain_hasher_and_hash()
    samples = []
    for _ in range(runs):
        started = time.process_time()
        plain.verify(stored, PASSWORD)
        samples.append((time.process_time() - started) * 1000)
    return samples


def raw_call_floor_ms(runs: int = 50, after_hash: bool = False, lean: bool = False
                      ) -> list[float]:
    """Client CPU of one GetItem on the users table, raw on the boto3 client (or on the lean
    transport): repeated in a tight loop (the best a DynamoDB call costs), or each right after an
    argon2id verification (`after_hash`: the hash's 19 MiB leave the caches cold, as they are for
    the calls of a login)."""
    from chalicelib.storage import low_level, tables
    from chalicelib.storage.hub.users import HubUserModel

    client = tables.connection().client
    request = {"TableName": HubUserModel.Meta.table_name,
               "Key": {"user_id": {"S": "bench-no-such-user"}}}
    wire = low_level.wire()
    assert wire is not None or not lean, "no lean transport on moto"
    get_item = ((lambda: wire.post("GetItem", request)) if wire is not None and lean
                else (lambda: client.get_item(**request)))
    hasher, stored = _plain_hasher_and_hash()
    samples = []
    for _ in range(runs):
        if after_hash:
            hasher.verify(stored, PASSWORD)
        started = time.process_time()
        get_item()
        samples.append((time.process_time() - started) * 1000)
    return samples


def _plain_hasher_and_hash() -> tuple[Any, str]:
    """The app's argon2 hasher (unwrapped) and a hash of the bench password."""
    from argon2 import PasswordHasher

    from chalicelib.auth import passwords

    hasher = passwords._hasher
    plain = hasher.hasher if isinstance(hasher, TimedHasher) else hasher
    assert isinstance(plain, PasswordHasher)
    return plain, plain.hash(PASSWORD)


def log_in_with_code(record: LoginRecorder, username: str, code: str) -> None:
    client = record.client
    client.cookies.clear()
    record("1 GET  /hub/login", lambda: client.get("/hub/login"), 200)
    record("1 POST /hub/login  (Username, Company Name: Next)",
           lambda: client.post("/hub/login", {"username": username, "company": COMPANY}), 303)
    record("2 GET  /hub/login/password", lambda: client.get("/hub/login/password"), 200)
    record("2 POST /hub/login/password  (Log In)",
           lambda: client.post("/hub/login/password", {"password": PASSWORD}), 303)
    record("3 GET  /hub/login/verify", lambda: client.get("/hub/login/verify"), 200)
    record("3 POST /hub/login/verify  (2FA token: Verify)",
           lambda: client.post("/hub/login/verify", {"code": code}), 303)
    record("   GET  /hub/  (My Modules)", lambda: client.get("/hub/"), 200)


def enroll_at_first_login(record: LoginRecorder, username: str,
                          code_of_pending: Callable[[str], str]) -> None:
    client = record.client
    client.cookies.clear()
    client.get("/hub/login")
    client.post("/hub/login", {"username": username, "company": COMPANY})
    client.get("/hub/login/password")
    record("2 POST /hub/login/password  (no 2FA yet)",
           lambda: client.post("/hub/login/password", {"password": PASSWORD}), 303)
    record("3 GET  /hub/login/enroll  (QR code)", lambda: client.get("/hub/login/enroll"), 200)
    code = code_of_pending(username)  # read before counting: the authenticator app's side
    record("3 POST /hub/login/enroll  (first code: Verify)",
           lambda: client.post("/hub/login/enroll", {"code": code}), 303)


def database() -> tuple[str, AbstractContextManager[Any], Callable[[], None]]:
    """(endpoint, context, stop): DynamoDB Local in memory, or moto in-process without Java."""
    from devstack import dynamodb_local

    if dynamodb_local.java_available():
        port = dynamodb_local.free_port()
        process = dynamodb_local.start(port)
        return f"http://127.0.0.1:{port}", nullcontext(), lambda: dynamodb_local.stop(process)
    from moto import mock_aws

    print("!!! Java or DynamoDB Local's jar missing: measuring on moto in-process instead.\n")
    return "", mock_aws(), lambda: None


def login_table() -> str:
    for name, value in {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(name, value)
    from chalicelib import runtime, settings
    from chalicelib.auth import names
    from chalicelib.auth.hub import accounts, totp
    from chalicelib.clock import FrozenClock
    from chalicelib.storage import tables
    from chalicelib.storage.hub import users as store
    from tests.web_client import WebClient

    endpoint, context, stop = database()
    try:
        with context:
            clock = FrozenClock(dt.datetime.now(dt.UTC))
            rt = runtime.install(runtime.build(
                settings.from_environment().with_overrides(
                    dynamodb_endpoint=endpoint, table_prefix=f"bench-{secrets.token_hex(3)}-",
                    local_key_hex=secrets.token_hex(32), base_url="http://localhost:8000"),
                clock=clock))
            tables.create_tables()
            company = accounts.create_company(rt, COMPANY)
            secret = totp.new_secret()
            alice = accounts.create_user_at_setup(rt, company, username="alice", role="Master",
                                                  email="alice@bench.example", name="Alice",
                                                  password=PASSWORD)
            box = rt.box
            store.update_user(alice.user_id,
                              totp_secret=box.encrypt(secret.encode(), f"totp:{alice.user_id}"))
            newcomers = [accounts.create_user_at_setup(rt, company, username=f"new{i}",
                                                       name=f"New {i}",
                                                       email=f"new{i}@bench.example",
                                                       password=PASSWORD)
                         for i in range(2 * (LOGINS + 1))]

            def pending_code(username: str) -> str:
                user = store.user_by_login(names.login_key(COMPANY, username))
                assert user is not None and user.totp_pending
                sealed = box.decrypt(user.totp_pending, f"totp:{user.user_id}")
                return totp.code_at(sealed.decode(), clock.now())

            from app import app
            from chalicelib.storage import low_level

            def logins(record: LoginRecorder, first: int) -> LoginRecorder:
                for i in range(LOGINS + 1):
                    record.recording = i > 0  # the first login warms caches and is not counted
                    clock.advance(seconds=totp.PERIOD + 1)  # a fresh TOTP step for every login
                    log_in_with_code(record, "alice", totp.code_at(secret, clock.now()))
                    enroll_at_first_login(record, newcomers[first + i].username, pending_code)
                return record

            lean = low_level.wire()
            record = logins(LoginRecorder(WebClient(app)), 0)
            floors = Floors(hash_floor_ms(), raw_call_floor_ms(),
                            raw_call_floor_ms(runs=15, after_hash=True))
            if lean is not None:
                floors.lean = (raw_call_floor_ms(lean=True),
                               raw_call_floor_ms(runs=15, after_hash=True, lean=True))
                low_level.use_wire(None)  # the same logins with the calls on botocore
                floors.via_botocore = logins(LoginRecorder(WebClient(app)), LOGINS + 1).steps
                low_level.use_wire(lean)
    finally:
        runtime.reset()
        stop()

    backend = "DynamoDB Local" if endpoint else "moto (in-process)"
    rows = [figures.row() for figures in record.steps.values()]
    verdict = ("Every request kept the budget: at most 3 DynamoDB calls and no Scan."
               if all(f.kept_budget for f in record.steps.values())
               else "SOME REQUESTS BROKE THE BUDGET (more than 3 calls, or a Scan): see NO above.")
    return table(
        f"Login steps in-process on {backend}, {LOGINS} logins (ms; DynamoDB calls per request)",
        ["request", "median ms", "p90 ms", "calls", "max calls", "operations",
         f"<={CALL_BUDGET}, no Scan"],
        rows,
    ) + verdict + "\n" + cpu_table(record.steps, floors, backend)


THREE_STEPS = ("1 POST /hub/login  (Username, Company Name: Next)",
               "2 POST /hub/login/password  (Log In)",
               "3 POST /hub/login/verify  (2FA token: Verify)")
GOAL = 0.20  # everything but the hash, as a share of the hash's CPU


@dataclass
class Floors:
    """What the login is compared with, measured in the same run: the hash alone, one GetItem on
    the botocore client (tight loop; right after a verify), the same on the lean transport, and
    the same logins with the login's calls on the botocore client."""

    hash: list[float]
    call: list[float]
    cold_call: list[float]
    lean: tuple[list[float], list[float]] | None = None
    via_botocore: dict[str, StepFigures] | None = None


def _cpu_row(name: str, cpu: list[float], hashed: list[float], in_calls: list[float],
             calls: float) -> list[object]:
    rest = [c - h for c, h in zip(cpu, hashed, strict=True)]
    return [name, min(cpu), median(cpu), median(hashed), min(rest), median(rest),
            median(in_calls), calls]


def _three_steps(steps: dict[str, StepFigures], name: str) -> list[object]:
    """One row for the three POSTs of a login, summed login by login."""
    three = [steps[step] for step in THREE_STEPS if step in steps]
    cpu = [sum(one) for one in zip(*[f.cpu_ms for f in three], strict=True)]
    hashed = [sum(one) for one in zip(*[f.hash_ms for f in three], strict=True)]
    in_calls = [sum(one) for one in zip(*[f.call_cpu_ms for f in three], strict=True)]
    calls = sum(median([float(sum(c.values())) for c in f.calls]) for f in three)
    return _cpu_row(name, cpu, hashed, in_calls, calls)


def _floor_row(name: str, samples: list[float]) -> list[object]:
    return [name, min(samples), median(samples), 0.0, min(samples), median(samples),
            median(samples), 1.0]


def cpu_table(steps: dict[str, StepFigures], floors: Floors, backend: str) -> str:
    """A warm login's CPU: the hash against everything else, per request and for the three
    steps, next to the same logins with botocore's calls and to the floors."""
    rows = [_cpu_row(f.name, f.cpu_ms, f.hash_ms, f.call_cpu_ms,
                     median([float(sum(c.values())) for c in f.calls])) for f in steps.values()]
    three = _three_steps(steps, "three steps (1-3 POST)")
    rows.append(three)
    if floors.via_botocore is not None:
        rows.append(_three_steps(floors.via_botocore, "the same, calls on the botocore client"))
    floor_hash = median(floors.hash)
    rows.append(["floor: argon2id verify alone", min(floors.hash), floor_hash, floor_hash,
                 0.0, 0.0, 0.0, 0.0])
    rows.append(_floor_row("floor: raw boto3 GetItem (per call)", floors.call))
    rows.append(_floor_row("floor: the same, right after a verify", floors.cold_call))
    if floors.lean is not None:
        rows.append(_floor_row("lean transport GetItem (per call)", floors.lean[0]))
        rows.append(_floor_row("the same, right after a verify", floors.lean[1]))
    return "\n" + table(
        f"Login CPU on {backend}, {LOGINS} warm logins (ms of process CPU; min and median)",
        ["request", "cpu min", "cpu median", "argon2 median", "rest min", "rest median",
         "in calls median", "calls"], rows) + _cpu_note(three, floors)


def _cpu_note(three: list[object], floors: Floors) -> str:
    rest, in_calls, calls = float(three[5]), float(three[6]), float(three[7])  # type: ignore[arg-type]
    floor_hash = median(floors.hash)
    share = rest / floor_hash if floor_hash else 0.0
    note = (f"Everything but the hash: {rest:.1f} ms median = {share:.0%} of the hash's "
            f"{floor_hash:.1f} ms (goal <= {GOAL:.0%}: {'kept' if share <= GOAL else 'NOT kept'})"
            f"; {in_calls:.1f} ms of it inside the {calls:.0f} DynamoDB calls, which would cost "
            f"{calls * median(floors.call):.1f} ms at the floor of a raw boto3 GetItem repeated "
            f"in a tight loop, {calls * median(floors.cold_call):.1f} ms at its floor right after "
            "a verify.")
    if floors.via_botocore is not None:
        botocore = _three_steps(floors.via_botocore, "")
        botocore_rest = float(botocore[5])  # type: ignore[arg-type]
        note += (f" With the same calls on the botocore client: {botocore_rest:.1f} ms = "
                 f"{botocore_rest / floor_hash:.0%} of the hash.")
    return note + "\n"


@contextmanager
def quiet_request_log() -> Iterator[None]:
    """The app logs one JSON line per request; thousands of them would bury the tables."""
    import chalicelib.logs  # noqa: F401 (sets the logger up first, so the level below sticks)

    logger = logging.getLogger("linkhub")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def main() -> None:
    print(import_table(), flush=True)
    with quiet_request_log():
        print(login_table(), flush=True)


if __name__ == "__main__":
    main()
