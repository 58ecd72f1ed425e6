"""The Partner Portal's scheduled work (EventBridge in AWS; the devstack tick locally)."""

from __future__ import annotations

from chalicelib import logs
from chalicelib.portal import insights
from chalicelib.runtime import Runtime


def tick(rt: Runtime) -> None:
    """Refresh the insights published to the hub that are due (each about once a day)."""
    sent = insights.tick(rt)
    logs.event("portal_tick", insights_sent=sent)
