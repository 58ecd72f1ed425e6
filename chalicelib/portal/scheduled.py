"""The Partner Portal's scheduled work (EventBridge in AWS; the devstack tick locally)."""

from __future__ import annotations

from chalicelib import logs
from chalicelib.portal import insights
from chalicelib.runtime import Runtime


def tick(rt: Runtime) -> None:
    """Publish the insights that are due: those a security-setting change marked (so the hub
    shows a change within about five minutes) and the daily refresh of each."""
    sent = insights.tick(rt)
    logs.event("portal_tick", insights_sent=sent)
