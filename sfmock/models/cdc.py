"""Change Data Capture: the change events an org publishes for the entities an admin selected.

Events live in the org's own database, written in the same transaction as the record change, so a
rolled-back Collections or Composite call publishes nothing (Salesforce publishes committed changes
only). Each event is Avro-encoded with its entity's change-event schema when it is published, and
kept for 72 hours, the retention of a real org's event bus.
"""

from __future__ import annotations

import base64
import io
import threading
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import fastavro

from .. import errors
from .schema import SObjectType
from .values import parse_datetime

RETENTION = timedelta(hours=72)
SUPPORTED = ("Contact", "Lead", "Account", "User")
ALL_CHANGES = "/data/ChangeEvents"
CHANGE_TYPES = ("CREATE", "UPDATE", "DELETE", "UNDELETE", "GAP_CREATE", "GAP_UPDATE",
                "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW")
# Fields a change event never carries (the CDC guide: system fields that change on every save).
NOT_IN_EVENTS = {"Id", "IsDeleted", "SystemModstamp", "LastViewedDate", "LastReferencedDate",
                 "LastActivityDate"}
# Compound fields: a change event nests their parts in one record (the CDC guide's "Name" and
# address fields), and its changedFields bitmaps name them as "<parent position>-<bitmap>".
COMPOUNDS = {
    "Name": ("Salutation", "FirstName", "LastName", "MiddleName", "Suffix"),
    "MailingAddress": tuple(f"Mailing{p}" for p in ("Street", "City", "State", "PostalCode",
                                                     "Country")),
    "Address": ("Street", "City", "State", "PostalCode", "Country"),
}

change_origin: ContextVar[str] = ContextVar("change_origin", default="")


def topic_for(entity: str) -> str:
    return f"/data/{entity}ChangeEvent"


@dataclass(frozen=True)
class StoredEvent:
    replay: int
    entity: str
    schema_id: str
    event_id: str
    payload: bytes


class ChangeDataCapture:
    """The org's change-event bus: selection, schemas, publishing and replay (`org.attached`)."""

    def __init__(self, org) -> None:
        self.org = org
        self.arrived = threading.Condition()
        self._schemas: dict[str, tuple[str, dict]] = {}
        self._commit_number = 0
        org.on_change(self._record)

    def _table(self) -> None:
        # AUTOINCREMENT: replay ids never repeat, even after every event has expired.
        self.org.db.execute(
            "CREATE TABLE IF NOT EXISTS _change_events (replay INTEGER PRIMARY KEY AUTOINCREMENT, "
            "entity TEXT, schema_id TEXT, event_id TEXT, payload BLOB, published REAL)")

    # -- selection (Setup > Change Data Capture) ---------------------------------

    def selected(self) -> list[str]:
        return sorted(self.org.meta.get("cdc_entities", []))

    def select(self, entities: Iterable[str]) -> list[str]:
        """Select exactly `entities` for change notifications, as an admin does in Setup."""
        chosen = []
        for name in entities:
            sobject = self.org.sobject(name)
            if sobject.name not in SUPPORTED and not sobject.name.endswith("__c"):
                raise errors.InvalidType(
                    f"Change Data Capture does not support {sobject.name}: select one of "
                    + ", ".join(SUPPORTED), [])
            chosen.append(sobject.name)
        with self.org.lock:
            self.org.meta["cdc_entities"] = sorted(set(chosen))
            self.org.save_state()
        return self.selected()

    # -- schemas -------------------------------------------------------------------

    def schema(self, entity: str) -> tuple[str, dict]:
        """(schema id, Avro schema) of an entity's change event, from its current fields."""
        sobject = self.org.sobject(entity)
        fields = _event_fields(sobject)
        key = f"{sobject.name}:{fields!r}"
        if key not in self._schemas:
            schema = _avro_schema(sobject, fields)
            parsed = fastavro.parse_schema(schema)
            fingerprint = fastavro.schema.fingerprint(
                fastavro.schema.to_parsing_canonical_form(parsed), "MD5")
            schema_id = base64.urlsafe_b64encode(bytes.fromhex(fingerprint)).decode().rstrip("=")
            self._schemas[key] = (schema_id, schema)
            self._schemas[schema_id] = (schema_id, schema)
        return self._schemas[key]

    def schema_by_id(self, schema_id: str) -> dict | None:
        found = self._schemas.get(schema_id)
        if found is None:
            for name in SUPPORTED:
                self.schema(name)
            found = self._schemas.get(schema_id)
        return found[1] if found else None

    # -- publishing ----------------------------------------------------------------

    def _record(self, type_name: str, record_id: str, action: str,
                before: dict | None, after: dict | None) -> None:
        """The org's change listener: one event per committed record change of a selected entity."""
        if type_name not in self.org.meta.get("cdc_entities", ()):
            return
        change_type = {"insert": "CREATE", "update": "UPDATE", "delete": "DELETE",
                       "undelete": "UNDELETE", "convert": "UPDATE"}.get(action)
        if change_type is None:
            return
        sobject = self.org.sobject(type_name)
        if change_type == "UPDATE":
            values = {k: v for k, v in (after or {}).items()
                      if before is None or before.get(k) != v}
            if before is not None and after.get("LastModifiedById") == before.get(
                    "LastModifiedById"):
                values.pop("LastModifiedById", None)  # only when another user saved it
            values["LastModifiedDate"] = (after or {}).get("LastModifiedDate")
        elif change_type == "DELETE":
            values = {}
        else:
            values = {k: v for k, v in (after or {}).items() if v not in (None, "")}
        actor = (after or {}).get("LastModifiedById") or (before or {}).get(
            "LastModifiedById") or ""
        self.publish(sobject, change_type, [record_id], values, commit_user=actor)

    def publish(self, sobject: SObjectType, change_type: str, record_ids: list[str],
                values: dict, *, commit_user: str = "") -> int:
        """Encode and store one change event; returns its replay number."""
        schema_id, schema = self.schema(sobject.name)
        fields = _event_fields(sobject)
        now = self.org.now()
        with self.org.lock:
            self._commit_number += 1
            header = {
                "entityName": sobject.name, "recordIds": record_ids, "changeType": change_type,
                "changeOrigin": change_origin.get(), "transactionKey": str(uuid.uuid4()),
                "sequenceNumber": 1, "commitTimestamp": int(now.timestamp() * 1000),
                "commitNumber": int(now.timestamp() * 1_000_000) * 1000 + self._commit_number % 1000,
                "commitUser": commit_user or "",
                "nulledFields": [], "diffFields": [], "changedFields": [],
            }
            if change_type == "UPDATE":
                header["changedFields"] = _bitmaps(fields, values)
                header["nulledFields"] = _bitmaps(
                    fields, {k: v for k, v in values.items() if v in (None, "")})
            record = {"ChangeEventHeader": header, **_event_values(sobject, fields, values)}
            out = io.BytesIO()
            fastavro.schemaless_writer(out, fastavro.parse_schema(schema), record)
            self._table()
            self._purge(now)
            replay = self.org.db.execute(
                "INSERT INTO _change_events (entity, schema_id, event_id, payload, published) "
                "VALUES (?, ?, ?, ?, ?)", [sobject.name, schema_id, str(uuid.uuid4()),
                                           out.getvalue(), now.timestamp()]).lastrowid
        with self.arrived:
            self.arrived.notify_all()
        return replay

    def gap(self, entity: str, record_ids: list[str], change_type: str = "GAP_UPDATE") -> int:
        """A gap event: Salesforce could not produce the change event (e.g. a change made
        directly in the database), so subscribers must read the records themselves."""
        if change_type not in CHANGE_TYPES or not change_type.startswith("GAP_"):
            raise ValueError(f"changeType must be one of {', '.join(CHANGE_TYPES[4:])}")
        sobject = self.org.sobject(entity)
        recorded = [] if change_type == "GAP_OVERFLOW" else record_ids
        return self.publish(sobject, change_type, recorded, {})

    def overflow(self, entity: str) -> int:
        """An overflow event: a transaction changed more than 100,000 records, so one
        GAP_OVERFLOW event with no record ids stands for the rest (the CDC guide)."""
        return self.gap(entity, [], "GAP_OVERFLOW")

    # -- reading -----------------------------------------------------------------

    def _purge(self, now: datetime) -> None:
        cutoff = (now - RETENTION).timestamp()
        self.org.db.execute("DELETE FROM _change_events WHERE published < ?", [cutoff])

    def bounds(self) -> tuple[int, int]:
        """(earliest retained replay, latest replay); (latest + 1, latest) when none are kept."""
        with self.org.lock:
            self._table()
            self._purge(self.org.now())
            low, high = self.org.db.execute(
                "SELECT MIN(replay), MAX(replay) FROM _change_events").fetchone()
            if high is None:
                found = self.org.db.execute(
                    "SELECT seq FROM sqlite_sequence WHERE name = '_change_events'").fetchone()
                high = found[0] if found else 0
                return high + 1, high
            return low, high

    def after(self, topic: str, replay: int, limit: int) -> list[StoredEvent]:
        """Up to `limit` retained events of `topic` published after `replay`."""
        entities = self.selected() if topic == ALL_CHANGES else [entity_of(topic)]
        if not entities:
            return []
        marks = ", ".join("?" for _ in entities)
        with self.org.lock:
            self._table()
            rows = self.org.db.execute(
                f"SELECT replay, entity, schema_id, event_id, payload FROM _change_events "
                f"WHERE replay > ? AND entity IN ({marks}) ORDER BY replay LIMIT ?",
                [replay, *entities, limit]).fetchall()
        return [StoredEvent(*row) for row in rows]

    def wait(self, timeout: float) -> None:
        with self.arrived:
            self.arrived.wait(timeout)

    def decode(self, event: StoredEvent) -> dict:
        """An event's Avro payload as a dict (for tests and the Setup page)."""
        schema = self.schema_by_id(event.schema_id)
        return fastavro.schemaless_reader(io.BytesIO(event.payload),
                                          fastavro.parse_schema(schema))


def entity_of(topic: str) -> str | None:
    """`Contact` for `/data/ContactChangeEvent`; custom objects end in `__ChangeEvent`."""
    if not topic.startswith("/data/") or not topic.endswith("ChangeEvent"):
        return None
    name = topic[len("/data/"):-len("ChangeEvent")]
    return f"{name[:-2]}__c" if name.endswith("__") else name or None


def cdc(org) -> ChangeDataCapture:
    return org.attached("cdc", ChangeDataCapture)


# -- Avro ---------------------------------------------------------------------------

HEADER_SCHEMA = {
    "type": "record", "name": "ChangeEventHeader", "namespace": "com.sforce.eventbus",
    "fields": [
        {"name": "entityName", "type": "string"},
        {"name": "recordIds", "type": {"type": "array", "items": "string"}},
        {"name": "changeType", "type": {"type": "enum", "name": "ChangeType",
                                        "namespace": "com.sforce.eventbus",
                                        "symbols": list(CHANGE_TYPES)}},
        {"name": "changeOrigin", "type": "string"},
        {"name": "transactionKey", "type": "string"},
        {"name": "sequenceNumber", "type": "int"},
        {"name": "commitTimestamp", "type": "long"},
        {"name": "commitNumber", "type": "long"},
        {"name": "commitUser", "type": "string"},
        {"name": "nulledFields", "type": {"type": "array", "items": "string"}},
        {"name": "diffFields", "type": {"type": "array", "items": "string"}},
        {"name": "changedFields", "type": {"type": "array", "items": "string"}},
    ],
}
AVRO_TYPES = {"boolean": "boolean", "int": "int", "double": "double", "currency": "double",
              "percent": "double", "datetime": "long", "date": "int"}


def _event_fields(sobject: SObjectType) -> list[str | tuple[str, tuple[str, ...]]]:
    """The event's top-level fields in schema order: plain names, or (compound, parts)."""
    out: list = []
    taken: set[str] = set()
    for f in sobject.fields.values():
        if f.name in NOT_IN_EVENTS or f.name in taken or f.name.startswith("_"):
            continue
        compound = next((c for c, parts in COMPOUNDS.items()
                         if f.name in parts or (f.name == c and f.calculated)), None)
        if compound is not None:
            parts = tuple(p for p in COMPOUNDS[compound] if p in sobject.fields)
            if parts and compound not in taken:
                out.append((compound, parts))
                taken.update({compound, *parts})
            continue
        if f.calculated:
            continue
        out.append(f.name)
        taken.add(f.name)
    return out


def _field_type(sobject: SObjectType, name: str) -> object:
    kind = AVRO_TYPES.get(sobject.fields[name].type, "string")
    return ["null", kind]


def _avro_schema(sobject: SObjectType, fields: list) -> dict:
    entries: list[dict] = [{"name": "ChangeEventHeader", "type": HEADER_SCHEMA,
                            "doc": "Data:EventHeader"}]
    for item in fields:
        if isinstance(item, tuple):
            compound, parts = item
            nested = {"type": "record", "name": compound, "namespace": "com.sforce.eventbus",
                      "fields": [{"name": p, "type": _field_type(sobject, p), "default": None}
                                 for p in parts]}
            entries.append({"name": compound, "type": ["null", nested], "default": None,
                            "doc": "Data:Compound"})
        else:
            entries.append({"name": item, "type": _field_type(sobject, item), "default": None,
                            "doc": f"Data:{sobject.fields[item].type}"})
    suffix = "__ChangeEvent" if sobject.name.endswith("__c") else "ChangeEvent"
    name = (sobject.name[:-3] if sobject.name.endswith("__c") else sobject.name) + suffix
    return {"type": "record", "name": name, "namespace": "com.sforce.eventbus",
            "fields": entries}


def _avro_value(sobject: SObjectType, name: str, value: object) -> object:
    if value in (None, ""):
        return None
    kind = sobject.fields[name].type
    if kind == "boolean":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind in ("double", "currency", "percent"):
        return float(value)
    if kind == "datetime":
        moment = parse_datetime(str(value))
        return int(moment.timestamp() * 1000) if moment else None
    if kind == "date":
        return (date.fromisoformat(str(value)[:10]) - date(1970, 1, 1)).days
    return str(value)


def _event_values(sobject: SObjectType, fields: list, values: dict) -> dict:
    out: dict = {}
    for item in fields:
        if isinstance(item, tuple):
            compound, parts = item
            if any(p in values for p in parts):
                out[compound] = {p: _avro_value(sobject, p, values.get(p)) for p in parts}
            else:
                out[compound] = None
        else:
            out[item] = _avro_value(sobject, item, values.get(item))
    return out


def _bitmap(positions: Iterable[int]) -> str:
    """Salesforce's field bitmap: bit n set for the field at schema position n, as hex."""
    bits = 0
    for position in positions:
        bits |= 1 << position
    return f"0x{bits:0{max(2, (bits.bit_length() + 7) // 8 * 2)}X}"


def _bitmaps(fields: list, values: dict) -> list[str]:
    """changedFields/nulledFields as Salesforce encodes them in Avro events: one bitmap of
    top-level positions (the header is position 0), then "<position>-<bitmap>" for the parts of
    each compound field (Pub/Sub API guide, "Event Deserialization Considerations")."""
    top: list[int] = []
    nested: list[str] = []
    for position, item in enumerate(fields, start=1):
        if isinstance(item, tuple):
            parts = [i for i, p in enumerate(item[1]) if p in values]
            if parts:
                top.append(position)
                nested.append(f"{position}-{_bitmap(parts)}")
        elif item in values:
            top.append(position)
    if not top:
        return []
    return [_bitmap(top), *nested]


def replay_bytes(replay: int) -> bytes:
    return replay.to_bytes(8, "big")


def replay_number(raw: bytes) -> int | None:
    return int.from_bytes(raw, "big") if len(raw) == 8 else None


