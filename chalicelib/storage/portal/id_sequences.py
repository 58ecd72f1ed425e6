"""The portal's integer id sequences: one counter per sequence, reserved a block at a time."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.storage.base import translated


class PortalCounterModel(Model):
    """Integer id sequences (SaaS customer ids, organization ids), allocated in blocks."""

    class Meta:
        logical_name = "portal_counters"
        table_name = "portal_counters"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute()


def allocate_ids(sequence: str, count: int, first: int = 100_001) -> range:
    """Reserve `count` consecutive integers of a sequence with one atomic update."""
    model = PortalCounterModel(sequence)
    with translated():
        model.update(actions=[
            PortalCounterModel.value.set((PortalCounterModel.value | first - 1) + count)
        ])
    end = int(model.value)
    return range(end - count + 1, end + 1)
