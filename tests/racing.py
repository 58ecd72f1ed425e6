"""Jobs run in threads released together (a barrier), for races on DynamoDB Local."""

from __future__ import annotations

import threading
from collections.abc import Callable


def at_once(jobs: list[Callable[[], object]]) -> list[BaseException]:
    """Run each job in its own thread, all released at once; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        barrier.wait()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - the caller asserts on them
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
