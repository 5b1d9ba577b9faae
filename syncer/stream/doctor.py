"""`syncer doctor`'s check of the change stream: which mode runs, and whether CDC can.

What the API lets a client check: that the Pub/Sub API answers GetTopic for the change-event
channel with this session. Whether Contact and Lead are selected for CDC in Setup it does not
say (GetTopic answers either way); an unselected entity publishes no events, so the check
reports the last event seen and says so.
"""

from __future__ import annotations

from collections.abc import Callable

from ..doctor import FAIL, PASS, WARN, Check
from ..store import Settings
from .cdc import CdcUnavailable

NAME = "change stream"
SELECTION = ("whether Contact and Lead are selected in Setup > Change Data Capture cannot be"
             " read through the API: an unselected object publishes no events")


def stream_check(settings: Settings, state: dict, probe: Callable[[], str]) -> Check:
    """The stream's check; `probe()` makes one GetTopic call (raises CdcUnavailable)."""
    polling = f"polling every {settings.poll_minutes:g} min" if settings.poll_minutes else None
    if not settings.cdc:
        if polling:
            return Check(NAME, PASS, f"{polling} (CDC off)")
        return Check(NAME, PASS, "nightly only: opt-outs ticked in Salesforce arrive at the"
                     " nightly run (for seconds: syncer settings --cdc on, after selecting"
                     " Contact and Lead in Setup > Change Data Capture; or --poll-minutes 5)")
    try:
        answered = probe()
    except CdcUnavailable as why:
        if polling:
            return Check(NAME, WARN, f"CDC unavailable ({why}); {polling} runs instead",
                         "fix the Pub/Sub API access to stream changes in seconds")
        return Check(NAME, FAIL, f"CDC unavailable ({why}) and polling is off",
                     "fix the Pub/Sub API access, or syncer settings --poll-minutes 5")
    event = state.get("last_event")
    seen = (f"last event {event['commit_time']}" if event else "no change event applied yet")
    return Check(NAME, PASS, f"CDC runs: {answered}; {seen}; {SELECTION}")
