"""Apply Salesforce-side changes the stream saw, with the nightly's rules, and save its position.

A batch of records goes through the nightly run's own page step (`reconcile_page`: follow,
decide, baselines) in one transaction that also saves the stream's position, so a batch is
applied wholly with its replay id or watermark, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..nightly.budget import Budget
from ..nightly.pull import reconcile_page
from ..nightly.records import Record
from ..nightly.remote import Remote
from ..nightly.state import RunState
from ..push import Pusher
from ..store import Store


class LazyBudget:
    """The nightly's budget, read (one /limits call) only when the stream first spends a call
    beyond its own: following a moved record or pushing. An idle stream spends nothing."""

    def __init__(self, remote: Remote, percent: float):
        self.remote = remote
        self.percent = percent
        self._budget: Budget | None = None

    def need(self, calls: int, phase: str) -> None:
        if self._budget is None:
            self._budget = Budget(self.remote, self.percent)
        self._budget.need(calls, phase)


class Applier:
    """Applies batches of changed records as `source` (salesforce-cdc or salesforce-poll)."""

    def __init__(self, store: Store, remote: Remote, pusher: Pusher, source: str):
        self.store = store
        self.remote = remote
        self.pusher = pusher
        self.source = source

    def apply(self, records: list[Record], position: Callable[[], dict[str, Any]]) -> int:
        """Reconcile `records` (any mix of Contacts and Leads) and save `position()` in the
        same transaction; push what the decisions queued. Returns the people changed here."""
        run = RunState(self.store, self.remote, self.pusher, dry_run=False, progress=None,
                       trigger=self.source, source=self.source)
        run.started = datetime.now(UTC)
        run.budget = LazyBudget(self.remote, run.settings.api_reserve_percent)
        run.phase = f"applying {self.source} changes"
        reconcile_page(run, "stream", records,
                       inside=lambda: self.store.save_stream_state(**position()))
        if run.queued:
            self.pusher.drain(wait=0.0)
        return run.report.pushed_local
