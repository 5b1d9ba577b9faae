"""The replication API: getUpdated and getDeleted over a time window, as Salesforce answers them.

- `start` and `end` are ISO-8601 with an offset; seconds are dropped (12:30:15 is 12:30:00 UTC)
  and `start` must come before `end`, else INVALID_REPLICATION_DATE.
- getUpdated reaches back 30 days and getDeleted 15 days (the recycle bin), counted from
  midnight UTC of the current day; an older `start` is INVALID_REPLICATION_DATE.
- The window is half-open, [start, end): a client that starts its next window at
  `latestDateCovered` sees every change exactly once. `latestDateCovered` is `end`, or the
  current minute when `end` is still in the future.
- getUpdated lists live records whose SystemModstamp is in the window (deleted records are
  getDeleted's); getDeleted lists soft-deleted records by deletion time.
- More than 600,000 ids is EXCEEDED_ID_LIMIT.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .. import errors
from .org import Org
from .values import format_datetime, parse_datetime

UPDATED_DAYS = 30
DELETED_DAYS = 15
MAX_IDS = 600_000


def get_updated(org: Org, sobject_name: str, start: str, end: str) -> dict:
    """`{"ids", "latestDateCovered"}` for records created or changed in [start, end)."""
    sobject = org.sobject(sobject_name)
    low, high, covered, _ = _window(org, start, end, UPDATED_DAYS)
    with org.lock:
        rows = org.db.conn.execute(
            f'SELECT "Id" FROM "{sobject.name}" WHERE "IsDeleted" = 0 AND "SystemModstamp" >= ? '
            'AND "SystemModstamp" < ? ORDER BY "SystemModstamp", "Id" LIMIT ?',
            [low, high, MAX_IDS + 1],
        ).fetchall()
    _check_size(rows)
    return {"ids": [row[0] for row in rows], "latestDateCovered": covered}


def get_deleted(org: Org, sobject_name: str, start: str, end: str) -> dict:
    """`{"deletedRecords", "earliestDateAvailable", "latestDateCovered"}` for [start, end)."""
    sobject = org.sobject(sobject_name)
    low, high, covered, earliest = _window(org, start, end, DELETED_DAYS)
    with org.lock:
        rows = org.db.conn.execute(
            f'SELECT "Id", "_DeletedDate" FROM "{sobject.name}" WHERE "IsDeleted" = 1 '
            'AND "_DeletedDate" >= ? AND "_DeletedDate" < ? ORDER BY "_DeletedDate", "Id" LIMIT ?',
            [low, high, MAX_IDS + 1],
        ).fetchall()
    _check_size(rows)
    return {
        "deletedRecords": [{"id": row[0], "deletedDate": row[1]} for row in rows],
        "earliestDateAvailable": earliest,
        "latestDateCovered": covered,
    }


def _window(org: Org, start: str, end: str, days: int) -> tuple[str, str, str, str]:
    """Stored forms of start, end, latestDateCovered and the earliest date available."""
    low, high = _minute(start, "start"), _minute(end, "end")
    if low >= high:
        raise errors.InvalidReplicationDate(
            f"The start date ({format_datetime(low)}) must chronologically precede the end "
            f"date ({format_datetime(high)})."
        )
    now = org.now().astimezone(UTC)
    earliest = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)
    if low < earliest:
        raise errors.InvalidReplicationDate(
            f"The start date ({format_datetime(low)}) is before the earliest date available "
            f"({format_datetime(earliest)}): this call reaches back {days} days. "
            "Start a new window from a full query."
        )
    covered = max(low, min(high, now.replace(second=0, microsecond=0)))
    return (format_datetime(low), format_datetime(high), format_datetime(covered),
            format_datetime(earliest))


def _minute(text: str, name: str) -> datetime:
    moment = parse_datetime(text or "")
    if moment is None:
        raise errors.InvalidReplicationDate(
            f"{name}: '{text}' is not a date/time: send ISO-8601 such as "
            "2026-11-28T20:00:00+00:00 (URL-encoded)"
        )
    return moment.replace(second=0, microsecond=0)


def _check_size(rows: list) -> None:
    if len(rows) > MAX_IDS:
        raise errors.ExceededIdLimit(
            f"More than {MAX_IDS} ids in this window: choose start and end dates that are "
            "closer together."
        )
