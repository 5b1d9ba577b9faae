"""Contacts and Leads as a run reads them, from REST JSON or Bulk CSV, and Salesforce datetimes."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

TYPES = ("Contact", "Lead")


@dataclass(slots=True)
class Record:
    """The fields of a Contact or Lead a run reads, from REST JSON or Bulk CSV."""

    id: str
    type: str
    email: str | None
    value: bool
    deleted: bool
    master: str | None
    converted_to: str | None
    stamp: str | None

    @classmethod
    def parse(cls, raw: Mapping, sobject: str, field_name: str) -> Record:
        return cls(
            id=raw["Id"],
            type=sobject,
            email=(raw.get("Email") or "").strip().lower() or None,
            value=checkbox(raw.get(field_name)),
            deleted=checkbox(raw.get("IsDeleted")),
            master=raw.get("MasterRecordId") or None,
            converted_to=(raw.get("ConvertedContactId") or None)
            if checkbox(raw.get("IsConverted")) else None,
            stamp=raw.get("SystemModstamp") or None,
        )

    def as_lookup(self) -> dict:
        return {"IsDeleted": self.deleted, "MasterRecordId": self.master,
                "IsConverted": self.converted_to is not None,
                "ConvertedContactId": self.converted_to}


class _Layout:
    """Where a Bulk CSV page's columns are, from its header: a column the page lacks reads the
    None appended to every row, as DictReader's .get would; the last of a name, as DictReader."""

    def __init__(self, header: list[str], field_name: str):
        self.width = width = len(header)
        at = {name: index for index, name in enumerate(header)}
        (self.ident, self.email, self.value, self.deleted, self.master, self.converted,
         self.converted_to, self.stamp) = (
            at.get(name, width) for name in ("Id", "Email", field_name, "IsDeleted",
                                             "MasterRecordId", "IsConverted",
                                             "ConvertedContactId", "SystemModstamp"))

    def record(self, row: list, sobject: str) -> Record:
        """The row (a csv.reader row of `width` cells with a None appended) as a Record."""
        # Positionally, checkboxes as "true"/"false" first: a million rows.
        flag, gone, moved = row[self.value], row[self.deleted], row[self.converted]
        return Record(
            row[self.ident], sobject, (row[self.email] or "").strip().lower() or None,
            flag == "true" or (flag != "false" and checkbox(flag)),
            gone == "true" or (gone != "false" and checkbox(gone)),
            row[self.master] or None,
            (row[self.converted_to] or None)
            if moved == "true" or (moved != "false" and checkbox(moved)) else None,
            row[self.stamp] or None)


def csv_records(text: str, sobject: str, field_name: str) -> Iterator[Record]:
    """The records of a Bulk CSV result page (header first), read as `Record.parse` reads a
    csv.DictReader row, with the columns looked up once (a first sync reads a million)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        return
    layout = _Layout(header, field_name)
    width = layout.width
    for row in rows:
        if len(row) != width:
            if not row:
                continue  # DictReader skips blank lines
            row = (row + [None] * width)[:width]
        if layout.ident == width:
            raise KeyError("Id")
        row.append(None)
        yield layout.record(row, sobject)


class LivePage:
    """A Bulk CSV result page whose records are all live (none deleted or converted), each
    named once, with its checkboxes spelled "true" or "false": the records' Ids and values
    column by column (a first sync reads a million), a Record made only when asked for."""

    def __init__(self, sobject: str, layout: _Layout, rows: list[list], ids: tuple,
                 flags: tuple):
        self.sobject, self._layout, self._rows = sobject, layout, rows
        self.ids, self._flags = ids, flags
        self._at: dict[str, int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def reading(self, value: bool) -> list[str]:
        """The Ids of the records whose field reads `value`, in page order."""
        return list(itertools.compress(
            self.ids, map(("true" if value else "false").__eq__, self._flags)))

    def position(self, record_id: str) -> int:
        """The record's place in the page."""
        if self._at is None:
            self._at = dict(zip(self.ids, range(len(self.ids)), strict=True))
        return self._at[record_id]

    def record(self, record_id: str) -> Record:
        """The record with this Id, as csv_records reads it."""
        return self._layout.record([*self._rows[self.position(record_id)], None], self.sobject)

    @property
    def last_stamp(self) -> str | None:
        return self.record(self.ids[-1]).stamp

    def parts(self, size: int) -> Iterator[LivePage]:
        """The page `size` records at a time."""
        for start in range(0, len(self.ids), size):
            end = start + size
            yield LivePage(self.sobject, self._layout, self._rows[start:end],
                           self.ids[start:end], self._flags[start:end])


def live_page(text: str, sobject: str, field_name: str) -> LivePage | None:
    """The page as a LivePage, if it is one (csv_records reads any page)."""
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 2 or not rows[0]:
        return None
    layout = _Layout(rows[0], field_name)
    width = layout.width
    body = rows[1:]
    if layout.ident == width or layout.value == width or set(map(len, body)) != {width}:
        return None  # no Id or no value; or a short, long or blank row
    columns = list(zip(*body, strict=True))
    columns.append((None,) * len(body))  # a column the page lacks
    ids, flags = columns[layout.ident], columns[layout.value]
    if (not set(flags) <= {"true", "false"} or not set(columns[layout.deleted]) <= {"false", None}
            or not set(columns[layout.converted]) <= {"false", None}
            or len(set(ids)) != len(ids)):
        return None
    return LivePage(sobject, layout, body, ids, flags)


def checkbox(value: object) -> bool:
    """A Salesforce checkbox from REST JSON (bool) or Bulk CSV ('true'/'false')."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def field_names(sobject: str, field_name: str) -> list[str]:
    names = ["Id", "Email", field_name, "IsDeleted", "MasterRecordId", "SystemModstamp"]
    if sobject == "Lead":
        names += ["IsConverted", "ConvertedContactId"]
    return list(dict.fromkeys(names))


def select_list(sobject: str, field_name: str) -> str:
    return ", ".join(field_names(sobject, field_name))


def soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal in UTC, e.g. 2026-11-28T20:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    """A Salesforce datetime (2026-11-28T20:00:00.000+0000 or ...Z) as an aware datetime."""
    value = text.strip().replace("Z", "+00:00")
    if len(value) > 5 and value[-5] in "+-" and value[-3] != ":":
        value = value[:-2] + ":" + value[-2:]
    return datetime.fromisoformat(value)
