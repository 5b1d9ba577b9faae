"""The fallback: an incremental pull of both types every N minutes, one Composite call each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ..nightly.pull import OVERLAP
from ..nightly.records import TYPES, parse_stamp, soql_datetime
from ..nightly.remote import Remote
from ..store import Store
from . import pull
from .apply import Applier

SOURCE = "salesforce-poll"


class Poller:
    """One poll at a time: read what changed since the watermarks, apply it, move them."""

    def __init__(self, store: Store, remote: Remote, applier: Applier,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.store = store
        self.remote = remote
        self.applier = applier
        self.now = now

    def poll(self) -> int:
        """One poll; returns how many records it read (those of the overlap included)."""
        started = self.now()
        state = self.store.stream_state()
        field = self.store.get_settings().field_api_name
        found = pull.changed_since(self.remote, field, self._marks(state, started))
        records = [r for sobject in TYPES for r in found[sobject]]
        position: dict = {"mode": "polling", "heartbeat_at": started.isoformat(),
                          "watermarks": pull.next_marks(started)}
        newest = max((r for r in records if r.stamp), key=lambda r: parse_stamp(r.stamp),
                     default=None)
        seen = (state.get("last_event") or {}).get("commit_time")
        if newest is not None and (seen is None or parse_stamp(newest.stamp)
                                   > datetime.fromisoformat(seen)):
            changed = parse_stamp(newest.stamp)
            applied = self.now()
            position["last_event"] = {
                "source": SOURCE, "entity": newest.type, "change_type": "POLL",
                "record_ids": [newest.id], "commit_time": changed.isoformat(),
                "applied_at": applied.isoformat(),
                "lag_seconds": round((applied - changed).total_seconds(), 3)}
        self.applier.apply(records, lambda: position)
        return len(records)

    def _marks(self, state: dict, started: datetime) -> dict[str, str | None]:
        """The stream's watermarks; else the nightly's; else only the last overlap (what came
        before is the nightly's to read)."""
        marks = state.get("watermarks") or self.store.previous_state().get("watermarks") or {}
        first = soql_datetime(started - OVERLAP)
        return {sobject: marks.get(sobject, first) for sobject in TYPES}
