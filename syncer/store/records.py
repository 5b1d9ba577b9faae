"""The rows the store hands out, as frozen dataclasses."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    salesforce_id: str | None
    salesforce_type: str | None
    opted_out: bool
    baseline: bool | None
    baseline_field: str | None
    baseline_at: str | None
    sf_state: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict) -> Person:
        baseline = row["baseline"]
        return cls(**{**row, "opted_out": bool(row["opted_out"]),
                      "baseline": None if baseline is None else bool(baseline)})


@dataclass(frozen=True)
class OutboxItem:
    """A push waiting for Salesforce's confirmation, with the record it writes and its email."""

    id: int
    person_id: int | None  # None for a record no person is linked to (e.g. a fan-out)
    email: str | None
    salesforce_id: str | None
    salesforce_type: str | None
    desired: bool
    field: str | None
    state: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    fix: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict) -> OutboxItem:
        return cls(**{**row, "desired": bool(row["desired"])})


@dataclass(frozen=True)
class SyncRun:
    id: int
    started_at: str
    finished_at: str | None
    status: str
    mode: str
    pulled: int
    pushed_local: int
    pushed_remote: int
    conflicts: int
    errors: list
    api_calls: int
    watermark: str | None
    details: dict

    @classmethod
    def from_row(cls, row: dict) -> SyncRun:
        return cls(**{**row, "errors": json.loads(row["errors"]),
                      "details": json.loads(row["details"])})


@dataclass(frozen=True)
class CaptureResult:
    person_id: int
    event_id: int
    outbox_id: int
    duplicate: bool


def columns(record: type, prefix: str = "") -> str:
    return ", ".join(prefix + f.name for f in fields(record))
