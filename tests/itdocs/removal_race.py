"""The race of an integration's deletion with a sync run still writing, staged deterministically:
the run holds its lease and has a customer's seats in hand when the Administrator deletes the
integration and the removal worker takes the message; the run then stores that batch."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib import queues
from chalicelib.errors import NotFound
from chalicelib.outbound import HttpResponse
from chalicelib.runtime import Runtime
from chalicelib.storage.itdocs import backup_customers as customer_store
from chalicelib.storage.itdocs import backup_seats as seat_store
from chalicelib.storage.itdocs import integrations as integration_store
from chalicelib.storage.itdocs import match_decisions as match_store
from chalicelib.storage.itdocs import sync_checkpoints as checkpoint_store
from chalicelib.storage.itdocs import sync_logs as log_store
from chalicelib.sync import integration_deletion, integrations
from tests.fakes import HeldQueue, hold_sync_queue, use_transport
from tests.sync.helpers import Setup


class DeletesDuringSeats:
    """The vendor's side of a run: at its first seat-list request, `first` runs once (the
    deletion and the worker's first delivery), then the seats are answered as usual."""

    def __init__(self, inner: object, first: Callable[[], None]) -> None:
        self.inner, self.first, self.done = inner, first, False

    def request(self, method: str, url: str, **kwargs: object) -> HttpResponse:
        if url.split("?")[0].endswith("/seats") and not self.done:
            self.done = True
            self.first()
        return self.inner.request(method, url, **kwargs)  # type: ignore[attr-defined, no-any-return]


def run_meets_deletion(rt: Runtime, setup: Setup) -> HeldQueue:
    """A manual sync's worker meets the deletion (and the removal worker's first delivery) in
    the middle of its customers; the removal messages still waiting are left in the queue."""
    iid = setup.integration.integration_id
    held = hold_sync_queue(rt)

    def delete_and_deliver() -> None:
        integration_deletion.request(rt, setup.admin, integration_store.get_integration(iid))
        queues.SYNC_INLINE.send(held.bodies.pop())  # the worker's first delivery

    transport = DeletesDuringSeats(setup.transport, delete_and_deliver)
    use_transport(rt, transport)
    integrations.start_manual_sync(rt, setup.admin, iid)
    assert held.deliver_all() == 1  # the run, which stores its batch after the first delivery
    assert transport.done, "the race was not staged"
    return held


def left_of(iid: str, customer_ids: list[str]) -> dict[str, int]:
    """What the tables still hold of the integration, by Queries (and GetItems) on its keys."""
    try:
        integration_store.get_integration(iid)
        integration = 1
    except NotFound:
        integration = 0
    return {"integration": integration,
            "customers": len(customer_store.customers_of_integration(iid)),
            "seats": sum(len(seat_store.seats_of_customer(iid, c)) for c in customer_ids),
            "logs": len(log_store.logs_of_integration(iid)),
            "matches": len(match_store.matches_of_integration(iid)),
            "matching_audit": len(match_store.audit_trail(iid, limit=1000)),
            "checkpoint": int(checkpoint_store.get_checkpoint(iid) is not None)}


NOTHING = {"integration": 0, "customers": 0, "seats": 0, "logs": 0, "matches": 0,
           "matching_audit": 0, "checkpoint": 0}
