"""The change stream's durable position: replay id, poll watermarks, mode, lag, last event.

Kept as one JSON row of the settings table; the stream saves it in the same transaction as the
changes it applied, so a restart resumes exactly where the last applied batch ended.
"""

from __future__ import annotations

from typing import Any

from .base import StoreBase

STREAM_KEY = "stream"


class StreamTable(StoreBase):
    def stream_state(self) -> dict[str, Any]:
        """The stream's saved state ({} before it first ran)."""
        return self.get_value(STREAM_KEY) or {}

    def save_stream_state(self, **changes: Any) -> dict[str, Any]:
        """Merge `changes` into the saved state (a nested `watermarks` dict is merged too)."""
        with self.transaction():
            state = self.stream_state()
            marks = changes.pop("watermarks", None)
            if marks:
                state["watermarks"] = {**state.get("watermarks", {}), **marks}
            state.update(changes)
            self.put_value(STREAM_KEY, state)
            return state
