"""Contacts and Leads as a run reads them, from REST JSON or Bulk CSV, and Salesforce datetimes."""

from __future__ import annotations

import csv
import io
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


def csv_records(text: str, sobject: str, field_name: str) -> Iterator[Record]:
    """The records of a Bulk CSV result page (header first), read as `Record.parse` reads a
    csv.DictReader row, with the columns looked up once (a first sync reads a million)."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if not header:
        return
    width = len(header)
    at = {name: index for index, name in enumerate(header)}  # the last of a name, as DictReader
    # A column the page lacks reads the None appended to every row, as DictReader's .get would.
    ident, email, value, deleted, master, converted, converted_to, stamp = (
        at.get(name, width) for name in ("Id", "Email", field_name, "IsDeleted",
                                         "MasterRecordId", "IsConverted",
                                         "ConvertedContactId", "SystemModstamp"))
    for row in rows:
        if len(row) != width:
            if not row:
                continue  # DictReader skips blank lines
            row = (row + [None] * width)[:width]
        if ident == width:
            raise KeyError("Id")
        row.append(None)
        # Positionally, checkboxes as "true"/"false" first, then a column the page lacks (a
        # Contact's IsConverted): a million rows.
        flag, gone, moved = row[value], row[deleted], row[converted]
        yield Record(
            row[ident], sobject, (row[email] or "").strip().lower() or None,
            flag == "true" or (flag != "false" and flag is not None and checkbox(flag)),
            gone == "true" or (gone != "false" and gone is not None and checkbox(gone)),
            row[master] or None,
            (row[converted_to] or None) if moved == "true" or (
                moved != "false" and moved is not None and checkbox(moved)) else None,
            row[stamp] or None)


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
