"""Delayed messages of a local queue kept on disk, so a restart of the local stack delivers them.

SQS keeps a delayed message through anything; a local queue's timer thread does not outlive its
process. With a spool directory (`make run` sets one under `.devstack/`), `send_later` writes the
message to a file first (`<due>-<id>.json`, written whole, then renamed into place), and the
process that wires the queue's consumer schedules every file it finds there, delivering at once
what fell due while nothing ran. Several processes may share a directory (the local API and the
scheduler tick): a message is delivered by the one that claims its file first (an atomic rename
naming its process), and its file goes once the consumer returned, so a process that stops mid-way
leaves a claim the next start gives back (at least once, as SQS: the consumers are idempotent).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

CLAIMED = ".claimed-"
PROCESS = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"  # this process, even if a pid is used again


@dataclass(frozen=True)
class Spooled:
    """One delayed message waiting in the spool."""

    path: Path
    due: float  # seconds since the epoch
    body: str

    @property
    def seconds_left(self) -> float:
        """How long until it is due (0: now)."""
        return max(0.0, self.due - time.time())


class Spool:
    """The files of one local queue's delayed messages, in `directory`/`queue name`."""

    def __init__(self, directory: str | Path, queue_name: str) -> None:
        self.directory = Path(directory) / queue_name

    def keep(self, body: str, seconds: float) -> Spooled:
        """Write the message to disk before any timer is set, so it outlives this process."""
        self.directory.mkdir(parents=True, exist_ok=True)
        due = time.time() + seconds
        path = self.directory / f"{int(due * 1000):015d}-{uuid.uuid4().hex}.json"
        scratch = path.with_suffix(".tmp")
        scratch.write_text(json.dumps({"due": due, "body": body}))
        os.replace(scratch, path)
        return Spooled(path, due, body)

    def waiting(self) -> list[Spooled]:
        """Every message not being delivered, soonest first (claims of stopped processes are
        given back first; a file that cannot be read is left, never delivered half)."""
        if not self.directory.is_dir():
            return []
        self._release_stale_claims()
        found = [self._read(path) for path in sorted(self.directory.glob("*.json"))]
        return [spooled for spooled in found if spooled is not None]

    def claim(self, spooled: Spooled) -> Path | None:
        """Take the message for this process; None when another process took it first."""
        claimed = spooled.path.with_name(f"{spooled.path.name}{CLAIMED}{PROCESS}")
        try:
            os.rename(spooled.path, claimed)
        except FileNotFoundError:
            return None
        return claimed

    @staticmethod
    def done(claimed: Path) -> None:
        """The consumer returned: the message is gone for good."""
        with suppress(FileNotFoundError):
            claimed.unlink()

    def _release_stale_claims(self) -> None:
        """Give back the messages a stopped process had claimed but not finished."""
        for claimed in self.directory.glob(f"*.json{CLAIMED}*"):
            if _stale(claimed.name.rsplit(CLAIMED, 1)[1]):
                with suppress(FileNotFoundError):
                    os.rename(claimed, claimed.with_name(claimed.name.split(CLAIMED, 1)[0]))

    @staticmethod
    def _read(path: Path) -> Spooled | None:
        """The message a file holds (None: unreadable, left alone)."""
        try:
            data = json.loads(path.read_text())
            return Spooled(path, float(data["due"]), str(data["body"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _stale(owner: str) -> bool:
    """A claim whose process has stopped: not this one's, and its pid runs no process (or is
    this process's own pid, used again after a restart)."""
    if owner == PROCESS:
        return False
    pid = owner.split("-", 1)[0]
    return not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid))


def _alive(pid: int) -> bool:
    """Whether a process with this id runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
