"""An org: its schema, users, connected apps, sessions, API allocation and records in SQLite."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import sqlite_utils

from .. import errors, ids
from . import custom_objects, formulas, schema_import, values, write_plan
from .behaviours import Behaviours
from .faults import Faults
from .layouts import Layouts
from .organization import INSTANCE_NAME, ORGANIZATION_TYPE, organization_type
from .packages import get_package
from .rules import Rules
from .schema import Field, SObjectType, custom_field, standard_types
from .security import FieldSecurity

DEFAULT_API_MAX = 100_000
SESSION_SECONDS = 7200
API_WINDOW_SECONDS = 24 * 3600
R = TypeVar("R")


@dataclass
class Credentials:
    username: str
    password: str
    security_token: str
    user_id: str


@dataclass
class ConnectedApp:
    client_id: str
    client_secret: str
    certificate: str | None = None
    run_as: str | None = None
    name: str = "sfmock connected app"


@dataclass
class Session:
    token: str
    user_id: str
    expires_at: float
    client_id: str | None = None


@dataclass
class ApiUsage:
    """API calls counted in a rolling 24-hour window against the daily allocation."""

    max: int = DEFAULT_API_MAX
    calls: deque = field(default_factory=deque)

    def used(self, now: float) -> int:
        while self.calls and self.calls[0] <= now - API_WINDOW_SECONDS:
            self.calls.popleft()
        return len(self.calls)

    def record(self, now: float) -> None:
        self.calls.append(now)


class _RolledBack(Exception):  # noqa: N818
    """Unwinds `Org.transaction` when its result is not kept."""

    def __init__(self, result: object):
        self.result = result


class Org:
    """One Salesforce org. Every front door (server, in-process) shares this object."""

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        name: str = "sfmock Developer Edition",
    ):
        self.lock = threading.RLock()
        self.clock = clock or (lambda: datetime.now(UTC))
        conn = sqlite3.connect(str(db_path) if db_path else ":memory:", check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        if db_path:
            self.db.execute("PRAGMA journal_mode=WAL")
            # No fsync per commit (WAL stays consistent; a power cut may lose the last
            # commits, a killed process loses none): a Bulk job commits every 500 rows.
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.types: dict[str, SObjectType] = _types()
        self.schema_changes = 0  # counts schema and field-security changes (soql/plan_cache.py)
        self.users: dict[str, Credentials] = {}
        self.apps: dict[str, ConnectedApp] = {}
        self.sessions: dict[str, Session] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}
        self.api = ApiUsage()
        self.field_security = FieldSecurity(on_change=self._schema_changed, lock=self.lock)
        self.meta: dict = {"name": name, "counter": 0, "custom_fields": {}, "packages": []}
        self.instance_url: str | None = None
        self._listeners: list[Callable[[str, str, str, dict | None, dict | None], None]] = []
        self._attached: dict[str, object] = {}
        self._last_stamp: tuple[datetime | None, str] = (None, "")
        self.layouts = Layouts(self)
        self.rules = Rules(self.sobject, mutex=self.lock)
        if "_org" in self.db.table_names():
            self._load()
        else:
            # Each org gets its own 2-character pod so record IDs never collide across orgs.
            self.meta["pod"] = ids.encode_base62(secrets.randbelow(62**2), 2)
            self.meta["org_id"] = ids.make_id("00D", self.meta["pod"], secrets.randbelow(62**6))
            self.meta["schema_modified"] = self.stamp()
            self._create_tables()
            self._save()
        if "admin_key" not in self.meta:  # the key of the emulator's own /sfmock/api endpoints
            self.meta["admin_key"] = secrets.token_urlsafe(24)
            self._save()

    # -- persistence -------------------------------------------------------

    @property
    def org_id(self) -> str:
        return self.meta["org_id"]

    def save_state(self) -> None:
        """Persist the org's own state (meta, users, apps, limits, field security)."""
        self._save()

    def _sync_organization(self) -> None:
        """Keep the org's one Organization row in step with its name and users."""
        if "Organization" not in self.types:
            return
        table = self.db["Organization"]
        if not table.exists():
            self._create_table(self.types["Organization"])
        if "IsDeleted" not in table.columns_dict:  # SOQL filters every table on IsDeleted
            table.add_column("IsDeleted", int, not_null_default=0)
        current = next(iter(table.rows_where("Id = ?", [self.org_id])), None)
        name = self.meta["name"]
        if current is not None and current["Name"] == name:
            return
        stamp = current["CreatedDate"] if current else self.stamp()
        owner = self.integration_user_id() or ""
        table.upsert({
            "Id": self.org_id, "Name": name, "Country": "US", "DefaultLocaleSidKey": "en_US",
            "TimeZoneSidKey": "America/Los_Angeles", "LanguageLocaleKey": "en_US",
            "IsSandbox": 0, "InstanceName": INSTANCE_NAME, "OrganizationType": ORGANIZATION_TYPE,
            "NamespacePrefix": None, "TrialExpirationDate": None, "IsDeleted": 0,
            "CreatedDate": stamp, "CreatedById": owner, "LastModifiedDate": self.stamp(),
            "LastModifiedById": owner, "SystemModstamp": self.stamp(),
        }, pk="Id")

    def _save(self) -> None:
        self._sync_organization()  # the Organization row follows the org's name
        state = {
            "meta": self.meta,
            "users": [asdict(u) for u in self.users.values()],
            "apps": [asdict(a) for a in self.apps.values()],
            "api_max": self.api.max,
            "field_security": self.field_security.entries(),
        }
        self.db["_org"].upsert({"key": "state", "value": json.dumps(state)}, pk="key")

    def _load(self) -> None:
        state = json.loads(self.db["_org"].get("state")["value"])
        self.meta = state["meta"]
        self.users = {u["username"].lower(): Credentials(**u) for u in state["users"]}
        self.apps = {a["client_id"]: ConnectedApp(**a) for a in state["apps"]}
        self.api.max = state["api_max"]
        self.field_security.load(state.get("field_security", []))
        schema_import.apply(self, schema_import.stored(self))
        for spec in self.meta.get("custom_objects", []):
            self._register_object(spec)
        for type_name, defs in self.meta["custom_fields"].items():
            for spec in defs:
                self.types[type_name].add_field(_field_from_spec(spec))
        for row in self.db["_sessions"].rows:
            self.sessions[row["token"]] = Session(**row)
        self._add_missing_columns()
        self.meta["counter"] = max(self.meta["counter"], self._highest_counter())
        self._sync_organization()

    def _highest_counter(self) -> int:
        """The highest ID counter among the stored rows: the saved state holds the counter only
        as of its last save, and IDs made since must never be made again."""
        pod, highest = self.meta["pod"], ""
        for table in self.db.tables:
            if "Id" not in table.columns_dict:
                continue
            # Fixed-width base62 in 0-9A-Za-z order sorts as its value under SQLite's BINARY.
            found = self.db.execute(
                f'SELECT max(substr(Id, 7, 9)) FROM "{table.name}" WHERE length(Id) IN (15, 18)'
                " AND substr(Id, 4, 3) = ?", [pod + "0"]).fetchone()[0]
            highest = max(highest, found or "")
        return ids.decode_base62(highest) if highest else 0

    def _add_missing_columns(self) -> None:
        """A database saved by an older sfmock gains the columns of fields added since."""
        for sobject in self.types.values():
            have = set(self.db[sobject.name].columns_dict)
            for f in sobject.fields.values():
                if f.name not in have:
                    self.db[sobject.name].add_column(f.name, f.sql_type)
                    if f.type == "boolean" and f.default is not None:
                        self.db.execute(f'UPDATE "{sobject.name}" SET "{f.name}" = ?',
                                        [int(bool(f.default))])

    def _create_tables(self) -> None:
        for sobject in self.types.values():
            self._create_table(sobject)
        self.db["_sessions"].create(
            {"token": str, "user_id": str, "expires_at": float, "client_id": str}, pk="token"
        )

    def _create_table(self, sobject: SObjectType) -> None:
        # Id, the checkboxes, then the rest in describe order. SQLite reaches a column by
        # walking the row's header from the first, so a filter on column 41 of 64 read 0.2 us
        # a row where one near the front reads 0.1 (the rowids of 100,000 Contacts with
        # `HasOptedOutOfEmail = true`: 21 -> 11.5 ms): checkboxes are the usual filters
        # (IsDeleted in every query, the opt-outs, DoNotCall), each one byte of the header.
        fields = sorted(sobject.fields.values(),
                        key=lambda f: (f.name != "Id", f.name != "IsDeleted", f.type != "boolean"))
        columns = {f.name: f.sql_type for f in fields}
        columns.setdefault("IsDeleted", int)  # User has no IsDeleted field; the store still needs it
        columns["_DeletedDate"] = str
        table = self.db[sobject.name]
        table.create(columns, pk="Id")
        # Not LastModifiedDate, which Salesforce does not index either (its optimizer reads
        # SystemModstamp's): every write moved an entry in it, 15% of a Collections update's
        # SQL, and every SOQL ORDER BY ends in rowid, so no answer's order depended on it.
        # SystemModstamp with Id: the keyset order sync tools read by (the syncer's pull,
        # `ORDER BY SystemModstamp, Id`) is the index's own, so such a query sorts nothing
        # (its snapshot of 500,000 rows: 0.22 -> 0.07 s) and a filter on the stamp still
        # reads a range of it.
        for names in (["SystemModstamp", "Id"], ["Email"], ["IsDeleted"]):
            if names[0] in columns:
                table.create_index(names)

    def close(self) -> None:
        self.db.conn.close()

    def transaction(self, work: Callable[[], R], keep: Callable[[R], bool]) -> tuple[R, bool]:
        """Run `work` under the org lock as one SQLite transaction, committed only when
        `keep(result)`: the result, and whether its writes were kept."""
        try:
            with self.lock, self.db.atomic():
                result = work()
                if not keep(result):
                    raise _RolledBack(result)
        except _RolledBack as undone:
            return undone.result, False
        return result, True

    def reset(self) -> None:
        """Empty the org in place, as freshly created: no users, records, packages, layout
        changes, field security, rules, fault rules or API usage. The org ID, pod and admin key stay, and
        so do live sessions; load fixtures afterwards for the default org."""
        with self.lock:
            for table in [*self.types, "_sessions", "_org", "_layouts", "_change_events",
                          custom_objects.AUTO_NUMBERS]:
                self.db[table].drop(ignore=True)
            self.types = _types()
            self.schema_changes += 1
            self.users.clear()
            self.apps.clear()
            self.refresh_tokens.clear()
            self.api = ApiUsage(self.api.max)
            self.field_security.overrides.clear()
            self.rules.clear()
            self.behaviours.clear()
            self.faults.clear()
            keep = {k: self.meta[k] for k in ("name", "pod", "org_id", "admin_key")}
            self.meta = {**keep, "counter": 0, "custom_fields": {}, "packages": [],
                         "schema_modified": self.stamp()}
            self._create_tables()
            schema_import.apply(self, schema_import.stored(self))  # a loaded schema stays
            for session in self.sessions.values():
                self.db["_sessions"].insert(asdict(session))
            self._save()

    # -- clock, ids --------------------------------------------------------

    def now(self) -> datetime:
        """The org's time: the one clock behind timestamps, sessions and the API allocation."""
        return self.clock()

    def _seconds(self) -> float:
        return self.now().timestamp()

    def stamp(self) -> str:
        """The current time as stored: whole seconds, as real orgs stamp records
        (`...T03:40:22.000+0000`), so `SystemModstamp = 2026-11-30T03:40:22Z` finds them."""
        moment = self.now().replace(microsecond=0)
        last = self._last_stamp  # formatted once a second, not once a record
        if last[0] != moment:
            last = self._last_stamp = (moment, values.format_datetime(moment))
        return last[1]

    def schema_modified(self) -> datetime:
        """When the schema (fields, field-level security) last changed: describe's 304 date."""
        stamp = self.meta.get("schema_modified")
        return values.parse_datetime(stamp) if stamp else self.now()

    def _schema_changed(self) -> None:
        self.schema_changes += 1
        self.meta["schema_modified"] = self.stamp()
        self._save()

    def new_id(self, key_prefix: str) -> str:
        with self.lock:
            self.meta["counter"] += 1
            return ids.make_id(key_prefix, self.meta["pod"], self.meta["counter"])

    # -- schema --------------------------------------------------------------

    def sobject(self, name: str) -> SObjectType:
        """The sObject type `name` (case-insensitive), or NOT_FOUND as the REST API answers."""
        for sobject in self.types.values():
            if sobject.name.lower() == name.lower():
                return sobject
        raise errors.NotFound("The requested resource does not exist")

    def type_for_id(self, record_id: str) -> SObjectType | None:
        for sobject in self.types.values():
            if record_id.startswith(sobject.key_prefix):
                return sobject
        return None

    def add_custom_field(self, type_name: str, f: Field) -> None:
        """Add a custom field to a type (and its table), as installing a package does."""
        with self.lock:
            sobject = self.sobject(type_name)
            if sobject.field(f.name):
                return
            sobject.add_field(f)
            self.db[sobject.name].add_column(f.name, f.sql_type)
            if f.type == "boolean":
                self.db.execute(f'UPDATE "{sobject.name}" SET "{f.name}" = ?', [int(bool(f.default))])
            self.meta["custom_fields"].setdefault(sobject.name, []).append(_field_spec(f))
            self._schema_changed()

    def _register_object(self, spec: dict) -> SObjectType:
        taken = {t.key_prefix for t in self.types.values()}
        sobject = custom_objects.custom_object_from_spec(spec, taken, self.types["Contact"].recorded)
        if sobject.name.lower() in {name.lower() for name in self.types}:
            raise custom_objects.SchemaSpecError(f"an object named {sobject.name} already exists: "
                                                 "give the custom object another name")
        for f in sobject.fields.values():
            if f.type == "reference" and not set(f.reference_to) <= {*self.types, sobject.name,
                                                                      "Group"}:
                raise custom_objects.SchemaSpecError(
                    f"{sobject.name}.{f.name} refers to {', '.join(f.reference_to)}, which is not "
                    "an object of this org: declare the parent object first")
        self.types[sobject.name] = sobject
        return sobject

    def add_custom_object(self, spec: dict) -> SObjectType:
        """Create a custom object (`Invoice__c`) from its declaration (models/custom_objects.py)."""
        with self.lock:
            sobject = self._register_object(spec)
            self._create_table(sobject)
            self.meta.setdefault("custom_objects", []).append({**spec, "key_prefix":
                                                               sobject.key_prefix})
            self._schema_changed()
            return sobject

    def remove_custom_field(self, type_name: str, name: str) -> None:
        with self.lock:
            sobject = self.sobject(type_name)
            f = sobject.field(name)
            if f is None or not f.custom:
                return
            self.layouts.forget_field(sobject.name, f.name)
            sobject.remove_field(f.name)
            self.db[sobject.name].transform(drop={f.name})
            specs = self.meta["custom_fields"].get(sobject.name, [])
            self.meta["custom_fields"][sobject.name] = [s for s in specs if s["name"] != f.name]
            self._schema_changed()

    # -- users, apps, sessions ----------------------------------------------

    def add_user(
        self, username: str, password: str, security_token: str, *, first_name: str = "",
        last_name: str = "User", email: str | None = None, time_zone: str = "America/Los_Angeles",
    ) -> str:
        with self.lock:
            user_id = self.insert("User", {
                "Username": username, "FirstName": first_name, "LastName": last_name,
                "Email": email or username, "Alias": (first_name[:1] + last_name)[:8].lower(),
                "IsActive": True, "TimeZoneSidKey": time_zone,
            }, check=False)
            self.users[username.lower()] = Credentials(username, password, security_token, user_id)
            self._save()
            return user_id

    def add_connected_app(
        self, client_id: str, client_secret: str, *, certificate: str | None = None,
        run_as: str | None = None, name: str = "sfmock connected app",
    ) -> ConnectedApp:
        """Register a connected app; `certificate` (PEM) verifies JWT bearer assertions."""
        with self.lock:
            app = ConnectedApp(client_id, client_secret, certificate, run_as, name)
            self.apps[client_id] = app
            self._save()
            return app

    def user_record(self, user_id: str) -> dict:
        return self.db["User"].get(user_id)

    def check_password(self, username: str, password: str, token: str | None = None) -> Credentials:
        """The user's credentials if `password` (+ `token`) matches, else INVALID_LOGIN."""
        creds = self.users.get((username or "").lower())
        if creds is None or not self.user_record(creds.user_id)["IsActive"]:
            raise errors.LoginError(
                "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
            )
        candidates = {creds.password + creds.security_token}
        if token is not None:
            ok = password + token in candidates
        else:
            ok = password in candidates
        if not ok:
            raise errors.LoginError(
                "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
            )
        return creds

    def open_session(self, user_id: str, client_id: str | None = None) -> Session:
        with self.lock:
            token = f"{self.org_id[:15]}!AQ{secrets.token_urlsafe(72)}"
            session = Session(token, user_id, self._seconds() + SESSION_SECONDS, client_id)
            self.sessions[token] = session
            self.db["_sessions"].insert(asdict(session))
            return session

    def session_for(self, token: str | None) -> Session:
        """The live session for a bearer token, or INVALID_SESSION_ID."""
        session = self.sessions.get(token or "")
        if session is None or session.expires_at <= self._seconds():
            raise errors.InvalidSessionId("Session expired or invalid")
        return session

    def expire_sessions(self, token: str | None = None) -> int:
        """Expire one session, or all of them, so clients' re-login paths can be tested."""
        with self.lock:
            doomed = [token] if token else list(self.sessions)
            for t in doomed:
                self.sessions.pop(t, None)
                self.db["_sessions"].delete_where("token = ?", [t])
            return len(doomed)

    def create_refresh_token(self, username: str, client_id: str) -> str:
        with self.lock:
            token = "5Aep" + secrets.token_urlsafe(60)
            self.refresh_tokens[token] = (self.users[username.lower()].user_id, client_id)
            return token

    # -- API allocation -------------------------------------------------------

    def count_api_call(self) -> None:
        """Count one API call, or REQUEST_LIMIT_EXCEEDED when the allocation is spent."""
        with self.lock:
            now = self._seconds()
            if self.api.used(now) >= self.api.max:
                raise errors.RequestLimitExceeded("TotalRequests Limit exceeded.")
            self.api.record(now)

    def api_usage(self) -> tuple[int, int]:
        with self.lock:
            return self.api.used(self._seconds()), self.api.max

    def set_api_limit(self, maximum: int) -> None:
        with self.lock:
            self.api.max = maximum
            self._save()

    # -- records --------------------------------------------------------------

    def attached(self, name: str, factory: Callable[[Org], object]) -> object:
        """The per-org helper `name` (query cursors, bulk jobs, faults), made once by
        `factory(self)`."""
        helper = self._attached.get(name)  # read without the lock: asked on every API call
        if helper is None:
            with self.lock:
                if name not in self._attached:
                    self._attached[name] = factory(self)
                helper = self._attached[name]
        return helper

    @property
    def behaviours(self) -> Behaviours:
        """The org's switchable behaviours (duplicate rules, sharing, API access, ...)."""
        return self.attached("behaviours", Behaviours)

    @property
    def faults(self) -> Faults:
        """The org's fault rules: none until a test or `sfmock serve --faults` adds some."""
        return self.attached("faults", Faults)

    def on_change(self, listener: Callable[[str, str, str, dict | None, dict | None], None]
                  ) -> None:
        """Call `listener(type, id, action, before, after)` after every record write, inside
        the write's transaction (rows as stored; `before` is None for a new record)."""
        self._listeners.append(listener)

    def _notify(self, type_name: str, record_id: str, action: str,
                before: dict | None = None, after: dict | None = None) -> None:
        for listener in self._listeners:
            listener(type_name, record_id, action, before, after)

    def _prepare(self, sobject: SObjectType, data: dict, *, creating: bool, check: bool) -> dict:
        """The stored row of the fields a client sent, checked (models/write_plan.py)."""
        return write_plan.columns(self, sobject, tuple(data), creating=creating,
                                  check=check).prepare(data)

    def _required_missing(self, sobject: SObjectType, row: dict) -> None:
        missing = [f.name for f in sobject.required_fields() if row.get(f.name) in (None, "")]
        if missing:
            raise errors.RequiredFieldMissing(
                f"Required fields are missing: [{', '.join(missing)}]", missing
            )

    def _derive(self, sobject: SObjectType, row: dict, changed: dict | None = None) -> list[str]:
        """Fill the values sfmock computes (a person's Name, compound addresses) and return
        their names; with `changed`, only those whose parts it holds."""
        derived = []
        for f in write_plan.computed(sobject):
            if f.auto_number and changed is None:
                number = custom_objects.next_number(self.db, f"{sobject.name}.{f.name}")
                row[f.name] = custom_objects.auto_number(f, number)
                derived.append(f.name)
            elif f.formula:
                row[f.name] = formulas.stored(f, formulas.evaluate(f.formula, sobject, row))
                derived.append(f.name)
        name_field = sobject.fields.get("Name")
        if name_field is not None and name_field.calculated:
            row["Name"] = " ".join(p for p in (row.get("FirstName"), row.get("LastName")) if p)
            derived.append("Name")
        for name, parts, part_names in write_plan.addresses(sobject):
            if changed is None or not part_names.isdisjoint(changed):
                row[name] = values.compound_address(parts, row)
                derived.append(name)
        return derived

    def insert(self, type_name: str, data: dict, *, check: bool = True,
               user_id: str | None = None) -> str:
        """Create a record; `check=False` writes read-only fields (seeding, system work)."""
        with self.lock:
            sobject = self.sobject(type_name)
            row = self._new_row(sobject, data, check=check, user_id=user_id)
            self._check_unique(sobject, row, None)
            names = ", ".join(f'"{name}"' for name in row)  # sqlite-utils' insert: 2x slower
            with self.db.atomic():
                self.db.execute(f'INSERT INTO "{sobject.name}" ({names}) VALUES '
                                f'({", ".join("?" * len(row))})', list(row.values()))
                self._notify(sobject.name, row["Id"], "insert", None, row)
            return row["Id"]

    def _new_row(self, sobject: SObjectType, data: dict, *, check: bool,
                 user_id: str | None) -> dict:
        """A new record's stored row, checked and given its Id and system fields."""
        row = self._prepare(sobject, data, creating=True, check=check)
        if check:
            self._required_missing(sobject, row)
        for name, default in write_plan.defaults(sobject):
            if name not in row:
                row[name] = default
        if "Status" in sobject.fields and not row.get("Status"):
            row["Status"] = sobject.fields["Status"].picklist[0]
        if check:
            self.behaviours.before_save(sobject, "insert", None, row)
            self._check_references(sobject, row)
            self.rules.validate(sobject, row)
            self.behaviours.check_duplicates(sobject, "insert", row, None)
        stamp = self.stamp()
        actor = user_id or self.integration_user_id()
        record_id = self.new_id(sobject.key_prefix)
        row.update({"Id": record_id, "IsDeleted": 0, "CreatedDate": stamp,
                    "LastModifiedDate": stamp, "SystemModstamp": stamp})
        if "CreatedDate" in data and not check:
            row["CreatedDate"] = row["LastModifiedDate"] = data["CreatedDate"]
        row.setdefault("CreatedById", actor)
        row.setdefault("LastModifiedById", actor)
        if "OwnerId" in sobject.fields:
            row.setdefault("OwnerId", actor)
        self._derive(sobject, row)
        return row

    def _check_references(self, sobject: SObjectType, row: dict) -> None:
        """Refuse a lookup to a record that is not there, as a real org does.

        An Id of another object than the field refers to is FIELD_INTEGRITY_EXCEPTION
        ("Owner ID: id value of incorrect type: 035...: [OwnerId]", recorded in
        DouglasCAyers/sfdc-convert-notes-to-chatter-notes); one of the right object that no
        record has is INVALID_CROSS_REFERENCE_KEY "invalid cross reference id" with no fields
        (mdapi-issues/broken-roles); one in the recycle bin is ENTITY_IS_DELETED (SOAP API
        guide, core data objects); an owner who is deactivated is INACTIVE_OWNER_OR_USER
        "owner or user is inactive" (the same README).
        """
        references = write_plan.references(sobject)
        for name, value in row.items():
            if name not in references or value is None:
                continue
            f = sobject.fields[name]
            target = self.type_for_id(value)
            if target is not None and target.name not in f.reference_to:
                raise errors.FieldIntegrityException(
                    f"{f.label}: id value of incorrect type: {value}", [f.name])
            found = self._fetch(target, value) if target is not None else None
            if found is None:
                raise errors.InvalidCrossReferenceKey("invalid cross reference id", [])
            if found["IsDeleted"]:
                raise errors.EntityIsDeleted("entity is deleted", [], status=400)
            if f.name == "OwnerId" and target.name == "User" and not found["IsActive"]:
                raise errors.InactiveOwnerOrUser("owner or user is inactive", [])

    def integration_user_id(self) -> str | None:
        first = next(iter(self.users.values()), None)
        return first.user_id if first else None

    def _check_unique(self, sobject: SObjectType, row: dict, record_id: str | None) -> None:
        for f in sobject.fields.values():
            if not f.unique or row.get(f.name) in (None, ""):
                continue
            found = self.db.execute(
                f'SELECT Id FROM "{sobject.name}" WHERE "{f.name}" = ? COLLATE NOCASE '
                f"AND IsDeleted = 0 AND Id IS NOT ?", [row[f.name], record_id]
            ).fetchone()
            if found:
                # Real orgs name the other record by its 15-character Id here.
                raise errors.DuplicateValue(
                    f"duplicate value found: {f.name} duplicates value on record with id: "
                    f"{found[0][:15]}", []
                )

    def resolve_id(self, sobject: SObjectType, record_id: str) -> str:
        """The 18-char ID of a record of this type; MALFORMED_ID or NOT_FOUND as Salesforce says."""
        canonical = ids.normalise(record_id)
        if canonical is None:
            if ids.looks_like_id(record_id) and record_id.startswith(sobject.key_prefix):
                raise errors.MalformedId(
                    f"{sobject.label} ID: id value of incorrect type: {record_id}", ["Id"]
                )
            raise errors.NotFound(
                f"Provided external ID field does not exist or is not accessible: {record_id}"
            )
        if not canonical.startswith(sobject.key_prefix):
            raise errors.NotFound(
                f"Provided external ID field does not exist or is not accessible: {record_id}"
            )
        return canonical

    def get(self, type_name: str, record_id: str, *, include_deleted: bool = False) -> dict:
        """The stored row of a record, or NOT_FOUND."""
        sobject = self.sobject(type_name)
        canonical = self.resolve_id(sobject, record_id)
        with self.lock:
            row = self._fetch(sobject, canonical)
        if row is None or (row["IsDeleted"] and not include_deleted):
            raise errors.NotFound("The requested resource does not exist")
        return row

    def _live(self, sobject: SObjectType, record_id: str) -> dict:
        row = self._fetch(sobject, self.resolve_id(sobject, record_id))
        if row is None:
            raise errors.NotFound("The requested resource does not exist")
        if row["IsDeleted"]:
            raise errors.EntityIsDeleted("entity is deleted", [])
        return row

    def _fetch(self, sobject: SObjectType, record_id: str) -> dict | None:
        """The stored row with this 18-char Id, deleted or not, in one indexed SELECT."""
        cursor = self.db.execute(f'SELECT * FROM "{sobject.name}" WHERE "Id" = ?', [record_id])
        found = cursor.fetchone()
        if found is None:
            return None
        return dict(zip([c[0] for c in cursor.description], found, strict=True))

    def _write(self, sobject: SObjectType, record_id: str, changes: dict) -> None:
        """UPDATE one existing row (sqlite-utils' Table.update re-reads the schema and the row
        first, which was half the time of a Collections update: benchmarks/README.md)."""
        sets = ", ".join(f'"{name}" = ?' for name in changes)
        with self.db.atomic():
            self.db.execute(f'UPDATE "{sobject.name}" SET {sets} WHERE "Id" = ?',
                            [*changes.values(), record_id])

    def check_writable(self, sobject: SObjectType, current: dict, changes: dict) -> None:
        """Raise what Salesforce answers for a write it refuses (locked row, converted lead...)."""
        self.rules.check_lock(current["Id"])
        if sobject.name == "Lead" and current.get("IsConverted"):
            raise errors.CannotUpdateConvertedLead("cannot reference converted lead", [])

    def update(self, type_name: str, record_id: str, data: dict, *, check: bool = True,
               user_id: str | None = None) -> str:
        with self.lock:
            sobject = self.sobject(type_name)
            current = self._live(sobject, record_id)
            row, merged = self._changed_row(sobject, current, data, check=check, user_id=user_id)
            self._check_unique(sobject, merged, current["Id"])
            self._write(sobject, current["Id"], row)
            self._notify(sobject.name, current["Id"], "update", current, {**merged, **row})
            return current["Id"]

    def _changed_row(self, sobject: SObjectType, current: dict, data: dict, *, check: bool,
                     user_id: str | None) -> tuple[dict, dict]:
        """The changes an update writes to `current`, checked, and the record after them."""
        row = self._prepare(sobject, data, creating=False, check=check)
        actor = user_id or self.integration_user_id()
        if check:
            behaviours = self.behaviours
            behaviours.check_edit(sobject, current, actor)
            self.check_writable(sobject, current, row)
            behaviours.before_save(sobject, "update", current, row)
            self._check_references(sobject, row)
        merged = {**current, **row}  # one copy of the record: it has every field of the type
        if check:
            self._required_missing(sobject, merged)
            self.rules.validate(sobject, merged)
            behaviours.check_duplicates(sobject, "update", merged, current["Id"])
        stamp = self.stamp()
        system = {"LastModifiedDate": stamp, "SystemModstamp": stamp, "LastModifiedById": actor}
        row.update(system)
        merged.update(system)
        for name in self._derive(sobject, merged, changed=row):
            row[name] = merged[name]
        return row, merged

    def touch_system(self, type_name: str, record_id: str) -> None:
        """A system change (roll-up, bounce flag): moves SystemModstamp only."""
        with self.lock:
            sobject = self.sobject(type_name)
            current = self._live(sobject, record_id)
            self.db[sobject.name].update(current["Id"], {"SystemModstamp": self.stamp()})
            self._notify(sobject.name, current["Id"], "system")

    def delete(self, type_name: str, record_id: str, *, master_id: str | None = None) -> str:
        """Soft-delete a record into the recycle bin; queryAll and getDeleted still see it."""
        with self.lock:
            sobject = self.sobject(type_name)
            current = self._live(sobject, record_id)
            self.rules.check_lock(current["Id"])
            stamp = self.stamp()
            changes = {"IsDeleted": 1, "SystemModstamp": stamp, "_DeletedDate": stamp}
            if master_id:
                changes["MasterRecordId"] = master_id
            self.db[sobject.name].update(current["Id"], changes)
            self._notify(sobject.name, current["Id"], "delete", current, None)
            for child in self.types.values():  # master-detail children go with their master
                for f in child.fields.values():
                    if f.cascade_delete and sobject.name in f.reference_to:
                        for (detail,) in self.db.execute(
                                f'SELECT Id FROM "{child.name}" WHERE "{f.name}" = ? '
                                "AND IsDeleted = 0", [current["Id"]]).fetchall():
                            self.delete(child.name, detail)
            return current["Id"]

    def undelete(self, type_name: str, record_id: str) -> str:
        with self.lock:
            sobject = self.sobject(type_name)
            canonical = self.resolve_id(sobject, record_id)
            self.db[sobject.name].update(canonical, {
                "IsDeleted": 0, "_DeletedDate": None, "MasterRecordId": None,
                "SystemModstamp": self.stamp(),
            })
            if self._listeners:
                self._notify(sobject.name, canonical, "undelete", None,
                             self._fetch(sobject, canonical))
            return canonical

    def merge(self, type_name: str, master_id: str, loser_ids: Iterable[str]) -> str:
        """Merge records into `master_id`: losers are deleted with MasterRecordId set."""
        with self.lock:
            sobject = self.sobject(type_name)
            master = self._live(sobject, master_id)
            losers = [self._live(sobject, i)["Id"] for i in loser_ids]
            if not 1 <= len(losers) <= 2:
                raise errors.SalesforceError("A merge takes one master and one or two losers")
            for loser in losers:
                self.delete(sobject.name, loser, master_id=master["Id"])
            self.touch_system(sobject.name, master["Id"])
            return master["Id"]

    def convert_lead(self, lead_id: str, *, contact_id: str | None = None,
                     account_id: str | None = None) -> dict:
        """Convert a Lead into a new Contact (or an existing one): the LeadConvert result."""
        with self.lock:
            lead = self._live(self.sobject("Lead"), lead_id)
            if lead["IsConverted"]:
                raise errors.SalesforceError(
                    "This lead was already converted to the contact", [], status=400
                )
            if account_id is None and contact_id is None:
                account_id = self.insert("Account", {"Name": lead["Company"]}, check=False)
            if contact_id is None:
                contact_id = self.insert("Contact", {
                    "FirstName": lead["FirstName"], "LastName": lead["LastName"],
                    "Email": lead["Email"], "Phone": lead["Phone"], "Title": lead["Title"],
                    "AccountId": account_id, "LeadSource": lead["LeadSource"],
                    "HasOptedOutOfEmail": bool(lead["HasOptedOutOfEmail"]),
                    "DoNotCall": bool(lead["DoNotCall"]),
                }, check=False)
            else:
                # Salesforce keeps the existing Contact's own Email Opt Out on conversion:
                # nothing of the Lead's opt-out is carried over.
                contact = self._live(self.sobject("Contact"), contact_id)
                contact_id = contact["Id"]
                account_id = account_id or contact["AccountId"]
            stamp = self.stamp()
            changes = {
                "IsConverted": 1, "ConvertedContactId": contact_id,
                "ConvertedAccountId": account_id, "ConvertedDate": self.now().date().isoformat(),
                "Status": "Closed - Converted", "LastModifiedDate": stamp, "SystemModstamp": stamp,
            }
            self.db["Lead"].update(lead["Id"], changes)
            self._notify("Lead", lead["Id"], "convert", lead, {**lead, **changes})
            return {"leadId": lead["Id"], "contactId": contact_id, "accountId": account_id,
                    "opportunityId": None, "success": True}

    def find_by_external_id(self, type_name: str, field_name: str, value: str) -> list[dict]:
        """Live records whose external-ID field (or Id) equals `value`."""
        sobject = self.sobject(type_name)
        f = sobject.field(field_name)
        if f is None or not f.id_lookup:
            raise errors.NotFound(
                f"Provided external ID field does not exist or is not accessible: {field_name}"
            )
        if f.type == "id":
            canonical = self.resolve_id(sobject, value)
            with self.lock:
                return list(self.db[sobject.name].rows_where("Id = ? AND IsDeleted = 0", [canonical]))
        with self.lock:
            return list(self.db[sobject.name].rows_where(
                f'"{f.name}" = ? COLLATE NOCASE AND IsDeleted = 0', [value], limit=2
            ))

    def upsert(self, type_name: str, field_name: str, value: str, data: dict, *,
               user_id: str | None = None) -> dict:
        """Update the record matching the external ID, or create it: {id, created[, matches]}."""
        with self.lock:
            sobject = self.sobject(type_name)
            rows = self.find_by_external_id(sobject.name, field_name, value)
            if len(rows) > 1:
                return {"id": None, "created": False, "matches": rows}
            f = sobject.field(field_name)
            body = {k: v for k, v in data.items() if k.lower() != f.name.lower()}
            if rows:
                return {"id": self.update(sobject.name, rows[0]["Id"], body, user_id=user_id),
                        "created": False}
            if f.type == "id":
                raise errors.NotFound("The requested resource does not exist")
            body[f.name] = value
            return {"id": self.insert(sobject.name, body, user_id=user_id), "created": True}

    def records(self, type_name: str, *, include_deleted: bool = False) -> Iterator[dict]:
        """Stored rows of a type (for seeding checks and the record browser)."""
        sobject = self.sobject(type_name)
        where = None if include_deleted else "IsDeleted = 0"
        yield from self.db[sobject.name].rows_where(where, order_by="Id")

    def count(self, type_name: str, *, include_deleted: bool = False) -> int:
        sobject = self.sobject(type_name)
        where = "" if include_deleted else " WHERE IsDeleted = 0"
        return self.db.execute(f'SELECT count(*) FROM "{sobject.name}"{where}').fetchone()[0]

    def to_api(self, sobject: SObjectType, row: dict, version: str,
               fields: list[str] | None = None) -> dict:
        """A record as the REST API returns it: attributes first, then fields in order."""
        out: dict = {"attributes": {
            "type": sobject.name,
            "url": f"/services/data/v{version}/sobjects/{sobject.name}/{row['Id']}",
        }}
        if fields:
            for f in (sobject.field(n) for n in fields):
                if f is not None:
                    out[f.name] = values.to_json(f, row.get(f.name))
            return out
        for name, convert in _api_columns(sobject):  # values.to_json, without a call a field
            value = row.get(name)
            out[name] = value if convert is None or value is None else convert(value)
        return out

    # -- packages ------------------------------------------------------------

    def install_package(self, name: str) -> None:
        """Install a package (e.g. marketo-sales-connect): its custom fields appear."""
        with self.lock:
            package = get_package(name)
            for type_name, fields in package.fields.items():
                for f in fields:
                    self.add_custom_field(type_name, f)
            if name not in self.meta["packages"]:
                self.meta["packages"].append(name)
            self._save()

    def uninstall_package(self, name: str) -> None:
        """Uninstall a package: its custom fields and their data are gone."""
        with self.lock:
            package = get_package(name)
            for type_name, fields in package.fields.items():
                for f in fields:
                    self.remove_custom_field(type_name, f.name)
            if name in self.meta["packages"]:
                self.meta["packages"].remove(name)
            self._save()

    def installed_packages(self) -> list[str]:
        return list(self.meta["packages"])


def _api_columns(sobject: SObjectType) -> list[tuple[str, Callable[[object], object] | None]]:
    """Every field of the type with what `values.to_json` does to a stored value that is not
    null (bool, json.loads or nothing), cached on the type (emptied when a field changes): a
    record has 60-odd fields, and `to_api` is asked for on every one-record GET."""
    cache = sobject.cache("to_api")
    if "columns" not in cache:
        cache["columns"] = [(f.name, bool if f.type == "boolean" else
                             json.loads if f.type == "address" else None)
                            for f in sobject.fields.values()]
    return cache["columns"]


def _field_spec(f: Field) -> dict:
    spec = asdict(f)
    spec["reference_to"] = list(f.reference_to)
    spec["picklist"] = list(f.picklist)
    return spec


def _field_from_spec(spec: dict) -> Field:
    spec = dict(spec)
    spec["reference_to"] = tuple(spec["reference_to"])
    spec["picklist"] = tuple(spec["picklist"])
    return Field(**spec)


__all__ = ["Org", "custom_field"]


def _types() -> dict[str, SObjectType]:
    """A new org's sObject types: the standard ones and its own Organization record."""
    return {**standard_types(), "Organization": organization_type()}
