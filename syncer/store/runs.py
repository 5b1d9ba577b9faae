"""Sync runs: when each nightly run started and ended, what it did, where it stopped."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .base import StoreBase
from .errors import InvalidValue, NotFound
from .records import SyncRun, columns
from .values import to_json

FINISHED_RUN_STATUSES = ("ok", "partial", "failed")
RUN_COLUMNS = columns(SyncRun)


class RunsTable(StoreBase):
    def start_run(self, mode: str) -> int:
        """Record a sync run as running and return its id."""
        with self.transaction():
            return self._write(
                "INSERT INTO sync_runs (started_at, status, mode) VALUES (?, 'running', ?)",
                (self.now(), mode),
            ).lastrowid

    def finish_run(
        self,
        run_id: int,
        status: str,
        *,
        pulled: int = 0,
        pushed_local: int = 0,
        pushed_remote: int = 0,
        conflicts: int = 0,
        errors: Iterable[Any] = (),
        api_calls: int = 0,
        watermark: str | None = None,
        details: dict | None = None,
    ) -> None:
        """Record how a running sync run ended: status 'ok', 'partial' or 'failed', and counts."""
        if status not in FINISHED_RUN_STATUSES:
            raise InvalidValue(f"a run cannot finish as {status!r}: use ok, partial or failed")
        with self.transaction():
            updated = self._write(
                "UPDATE sync_runs SET finished_at = ?, status = ?, pulled = ?, pushed_local = ?,"
                " pushed_remote = ?, conflicts = ?, errors = ?, api_calls = ?, watermark = ?,"
                " details = ? WHERE id = ? AND status = 'running'",
                (self.now(), status, pulled, pushed_local, pushed_remote, conflicts,
                 to_json(list(errors)), api_calls, watermark, to_json(details or {}), run_id),
            ).rowcount
            if updated == 0:
                raise NotFound(f"no running sync run has id {run_id}: start one with start_run")

    def get_run(self, run_id: int) -> SyncRun | None:
        row = self._row(f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE id = ?", (run_id,))
        return SyncRun.from_row(row) if row else None

    def list_runs(self, limit: int = 20) -> list[SyncRun]:
        """The latest runs, newest first."""
        rows = self._rows(f"SELECT {RUN_COLUMNS} FROM sync_runs ORDER BY id DESC LIMIT ?",
                          (limit,))
        return [SyncRun.from_row(row) for row in rows]

    def last_successful_run(self) -> SyncRun | None:
        """The newest run that finished 'ok'."""
        row = self._row(
            f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE status = 'ok' ORDER BY id DESC LIMIT 1"
        )
        return SyncRun.from_row(row) if row else None

    def previous_state(self) -> dict:
        """The details (watermarks, fan-out cursor) of the latest finished run that has them."""
        row = self._row("SELECT details FROM sync_runs WHERE status != 'running'"
                        " AND json_extract(details, '$.watermarks') IS NOT NULL"
                        " ORDER BY id DESC LIMIT 1")
        return json.loads(row["details"]) if row else {}

    def served_since(self, slot: datetime) -> bool:
        """Whether a run that did not fail started at or after `slot` (a failed run serves
        nothing)."""
        return any(run.status != "failed" and datetime.fromisoformat(run.started_at) >= slot
                   for run in self.list_runs(limit=50))

    def close_abandoned_runs(self) -> None:
        """Record runs still 'running' as failed: the caller holds the sync lock, so their
        process stopped."""
        for run in self.list_runs(limit=20):
            if run.status == "running":
                self.finish_run(run.id, "failed", errors=[
                    "the run ended without finishing (its process stopped); the next run resumed"])
