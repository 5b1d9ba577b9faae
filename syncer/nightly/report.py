"""What a run reports: the changes on each side, counts, errors, where it stopped."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Protocol


@dataclass
class Change:
    """One change a run made (or, in a dry run, would make) on one side."""

    side: str  # 'salesforce' or 'local'
    action: str  # 'opt out', 'resubscribe', 'relink', 'mark deleted', ...
    email: str | None
    salesforce_id: str | None
    reason: str

    def line(self) -> str:
        where = "Salesforce" if self.side == "salesforce" else "here"
        who = ", ".join(x for x in (self.email, self.salesforce_id) if x)
        return f"{where}: {self.action} {who}: {self.reason}"


@dataclass
class RunReport:
    status: str  # ok, partial, failed, skipped, dry-run
    mode: str = "incremental"
    run_id: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    seconds: float = 0.0
    pulled: int = 0
    pushed_local: int = 0
    pushed_remote: int = 0
    conflicts: int = 0
    deleted: int = 0
    relinked: int = 0
    waiting: int = 0
    bulk: list[str] = field(default_factory=list)
    api_calls: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: dict | None = None
    watermarks: dict = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    message: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    def to_json(self) -> dict:
        data = asdict(self)
        data["changes"] = [asdict(c) for c in self.changes]
        return data

    def summary(self) -> str:
        """A few lines for a terminal."""
        if self.status == "skipped":
            return f"nightly sync skipped: {self.message}"
        head = {"dry-run": "dry run (nothing changed)"}.get(self.status, self.status)
        lines = [
            f"nightly sync {head}: {self.mode}, {self.seconds:.1f}s, {self.api_calls} API calls",
            f"  pulled {self.pulled} records; pushed {self.pushed_remote} to Salesforce;"
            f" applied {self.pushed_local} here; {self.conflicts} conflicts",
        ]
        extra = [f"{n} {what}" for n, what in ((self.deleted, "deleted in Salesforce"),
                                               (self.relinked, "relinked"),
                                               (self.waiting, "left for the pusher")) if n]
        if self.bulk:
            extra.append("Bulk API 2.0 for " + ", ".join(self.bulk))
        if extra:
            lines.append("  " + "; ".join(extra))
        if self.stopped:
            lines.append(f"  stopped at {self.stopped['phase']}: {self.stopped['reason']}")
        lines += [f"  error: {e}" for e in self.errors[:20]]
        if len(self.errors) > 20:
            lines.append(f"  ... and {len(self.errors) - 20} more errors")
        return "\n".join(lines)


class Progress(Protocol):
    def __call__(self, pulled: int, pushed: int) -> None: ...
