"""Import people from a CSV file: email (required), salesforce_id, first_name, last_name.

Header names are matched case-insensitively ("First Name" means first_name) and other columns
are ignored. Rows with a bad email or Salesforce ID are reported by line number and skipped;
the good rows are kept. Importing never changes anyone's opt-out.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from ..store import Store, StoreError, normalise_email

COLUMNS = ("email", "salesforce_id", "first_name", "last_name")
ROWS_PER_TRANSACTION = 500


@dataclass
class ImportReport:
    """What an import did. Errors are (line number, message); line 0 means the whole file."""

    imported: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class _Unreadable(Exception):
    """The file as a whole cannot be imported; nothing is."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def import_people_csv(store: Store, path: str | Path) -> ImportReport:
    """Create or update the people listed in a CSV file."""
    path = Path(path)
    report = ImportReport()
    try:
        reader = csv.reader(io.StringIO(_read_text(path), newline=""))
        columns = _columns(next(reader, None), path)
        rows = _numbered_rows(reader)
        while batch := list(islice(rows, ROWS_PER_TRANSACTION)):
            with store.transaction():
                for line, row in batch:
                    values = {name: _cell(row, index) for name, index in columns.items()}
                    _import_row(store, report, line, values)
    except _Unreadable as problem:
        report.errors.append((problem.line, str(problem)))
    except csv.Error as problem:
        report.errors.append((reader.line_num, f"{path} is not valid CSV ({problem}):"
                                               " save it as CSV UTF-8 and retry"))
    return report


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _Unreadable(0, f"{path} does not exist: check the file name and folder") from None
    except OSError as problem:
        raise _Unreadable(0, f"cannot read {path} ({problem.strerror}): check the path") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data.count(b"\n", 0, problem.start) + 1
        message = f"{path} is not UTF-8 text: save it as CSV UTF-8 and retry"
        raise _Unreadable(line, message) from None


def _columns(header: list[str] | None, path: Path) -> dict[str, int | None]:
    """Where each known column is in the header row (None if absent)."""
    expected = ",".join(COLUMNS)
    if header is None:
        raise _Unreadable(1, f"{path} is empty: start it with the header row {expected}")
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(re.sub(r"[\s-]+", "_", name.strip().lower()), index)
    if "email" not in positions:
        hint = " and separate columns with commas" if ";" in ",".join(header) else ""
        raise _Unreadable(1, f"{path} has no email column: start it with the header row"
                             f" {expected}{hint}")
    return {name: positions.get(name) for name in COLUMNS}


def _numbered_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line number each starts on."""
    start = reader.line_num + 1
    for row in reader:
        if any(cell.strip() for cell in row):
            yield start, row
        start = reader.line_num + 1


def _cell(row: list[str], index: int | None) -> str | None:
    value = row[index].strip() if index is not None and index < len(row) else ""
    return value or None


def _import_row(store: Store, report: ImportReport, line: int, values: dict) -> None:
    try:
        existed = store.get_person(normalise_email(values["email"] or "")) is not None
        store.upsert_person(values["email"], values["first_name"], values["last_name"],
                            values["salesforce_id"], source="import")
    except StoreError as problem:
        report.errors.append((line, str(problem)))
        return
    if existed:
        report.updated += 1
    else:
        report.imported += 1
