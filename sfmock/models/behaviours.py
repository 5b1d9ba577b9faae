"""Org behaviours real orgs have and an integration must survive, switchable per org.

Each answers with Salesforce's own error shape and wording (sources beside each one, and the
recorded bodies in tests/parity/snapshots). They apply to API writes (`check=True`, which every
REST, Collections, Composite and Bulk write is); seeding and system work skip them.

- duplicate rules: DUPLICATES_DETECTED with the rule's `duplicateResult` when a record saved
  matches another live record of its type on every `match` field (case-insensitive);
- read-only records: INSUFFICIENT_ACCESS_OR_READONLY when a user edits a record a
  condition marks as not theirs to edit (sharing);
- API access: a user without "API Enabled" is refused at SOAP login (API_CURRENTLY_DISABLED)
  and on every data call (API_DISABLED_FOR_ORG, 403);
- field updates: "before save" rules, as a trigger or a record-triggered flow, that set
  fields when a condition holds (before validation rules run, as in the order of execution);
- query timeouts: QUERY_TIMEOUT for a SOQL statement a regular expression matches.

A condition is the validation rules' (sfmock/models/rules.py): `{"field", "op", "value"}` or
`{"all"|"any": [conditions]}`. The fixture and admin API form: docs/emulator.md.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import errors
from . import values
from .cdc import change_origin
from .rules import Condition, RuleError, compile_condition
from .schema import SObjectType

KINDS = ("duplicate_rules", "read_only_records", "api_disabled_users", "field_updates",
         "query_timeouts")
# The standard rules' alert texts, as real orgs answer (recorded bodies: a blocking rule says
# "Use one of these records?", an alerting one the longer text with allowSave true).
BLOCK_MESSAGE = "Use one of these records?"
ALLOW_MESSAGE = ("You're creating a duplicate record. We recommend you use an existing record "
                 "instead.")
EVENTS = ("insert", "update")


@dataclass
class DuplicateRule:
    type: str
    name: str
    match: list[str]
    block: bool
    on: tuple[str, ...]
    message: str
    matching_rule: str
    match_engine: str

    def summary(self) -> dict:
        return {"type": self.type, "name": self.name, "match": self.match,
                "action": "block" if self.block else "allow", "on": list(self.on),
                "message": self.message, "matchingRule": self.matching_rule,
                "matchEngine": self.match_engine}


@dataclass
class ReadOnlyRecords:
    user_id: str
    username: str
    type: str
    condition: Condition
    spec: dict

    def summary(self) -> dict:
        return {"user": self.username, "type": self.type, "condition": self.spec}


@dataclass
class FieldUpdate:
    type: str
    name: str
    condition: Condition
    spec: dict
    changes: dict
    on: tuple[str, ...]

    def summary(self) -> dict:
        return {"type": self.type, "name": self.name, "when": self.spec, "set": self.changes,
                "on": list(self.on)}


@dataclass
class QueryTimeout:
    pattern: re.Pattern

    def summary(self) -> dict:
        return {"pattern": self.pattern.pattern}


@dataclass
class Behaviours:
    """The switchable behaviours of one org (see the module doc)."""

    org: object  # the Org: its types, users and records
    mutex: threading.RLock = field(default_factory=threading.RLock, repr=False)
    duplicate_rules: list[DuplicateRule] = field(default_factory=list)
    read_only_records: list[ReadOnlyRecords] = field(default_factory=list)
    api_disabled: dict[str, str] = field(default_factory=dict)  # user id -> username
    field_updates: list[FieldUpdate] = field(default_factory=list)
    query_timeouts: list[QueryTimeout] = field(default_factory=list)

    # -- switching them on and off ------------------------------------------------------

    def add(self, spec: dict) -> dict:
        """Add behaviours from `{kind: [items]}` (org.json's form); the summary afterwards."""
        if not isinstance(spec, dict):
            raise RuleError("Behaviours are a JSON object such as "
                            '{"duplicate_rules": [{"type": "Contact", "match": ["Email"]}]}')
        unknown = sorted(set(spec) - set(KINDS))
        if unknown:
            raise RuleError(f"Unknown behaviour '{unknown[0]}'; use one of: " + ", ".join(KINDS))
        adders: dict[str, Callable[[dict], None]] = {
            "duplicate_rules": self.add_duplicate_rule,
            "read_only_records": self.add_read_only,
            "api_disabled_users": self.disable_api,
            "field_updates": self.add_field_update,
            "query_timeouts": self.add_query_timeout,
        }
        for kind, items in spec.items():
            if not isinstance(items, list):
                raise RuleError(f'"{kind}" takes a list')
            for item in items:
                adders[kind](item)
        return self.summary()

    def summary(self) -> dict:
        with self.mutex:
            return {
                "duplicate_rules": [r.summary() for r in self.duplicate_rules],
                "read_only_records": [r.summary() for r in self.read_only_records],
                "api_disabled_users": sorted(self.api_disabled.values()),
                "field_updates": [r.summary() for r in self.field_updates],
                "query_timeouts": [r.summary() for r in self.query_timeouts],
            }

    def clear(self, kind: str | None = None) -> None:
        """Switch off every behaviour, or those of one kind."""
        if kind is not None and kind not in KINDS:
            raise RuleError(f"Unknown behaviour '{kind}'; use one of: " + ", ".join(KINDS))
        with self.mutex:
            for name in [kind] if kind else KINDS:
                target = "api_disabled" if name == "api_disabled_users" else name
                getattr(self, target).clear()

    def add_duplicate_rule(self, item: dict) -> DuplicateRule:
        """`{"type", "match": [fields], "name", "action": "block"|"allow", "on", "message",
        "matchingRule", "matchEngine"}`; the last two only name what the answer reports (a
        standard rule's is "FuzzyMatchEngine"); matching itself is always exact."""
        sobject = self._type(item, "a duplicate rule")
        match = item.get("match")
        if not isinstance(match, list) or not match:
            raise RuleError('A duplicate rule needs "match": the fields a duplicate shares, '
                            'e.g. ["Email"]')
        fields = [self._field(sobject, name).name for name in match]
        action = str(item.get("action", "block")).lower()
        if action not in ("block", "allow"):
            raise RuleError(f"A duplicate rule's action is block or allow, not {action!r}")
        rule = DuplicateRule(
            sobject.name, str(item.get("name") or f"{sobject.name}_Duplicate_Rule"), fields,
            action == "block", _events(item.get("on")),
            str(item.get("message") or (BLOCK_MESSAGE if action == "block" else ALLOW_MESSAGE)),
            str(item.get("matchingRule") or f"{sobject.name}_Matching_Rule"),
            str(item.get("matchEngine") or "ExactMatchEngine"))
        with self.mutex:
            self.duplicate_rules.append(rule)
        return rule

    def add_read_only(self, item: dict) -> ReadOnlyRecords:
        """`{"user": username, "type", "condition"}`: those records (every one of the type
        without a condition) are read-only to the user."""
        sobject = self._type(item, "read-only records")
        user_id, username = self._user(item)
        spec, condition = _condition(sobject, item.get("condition"))
        entry = ReadOnlyRecords(user_id, username, sobject.name, condition, spec)
        with self.mutex:
            self.read_only_records.append(entry)
        return entry

    def disable_api(self, item: dict | str) -> str:
        """`"username"` or `{"user": username}`: that user lacks the API Enabled permission."""
        user_id, username = self._user({"user": item} if isinstance(item, str) else item)
        with self.mutex:
            self.api_disabled[user_id] = username
        return user_id

    def add_field_update(self, item: dict) -> FieldUpdate:
        """`{"type", "name", "when": condition, "set": {field: value}, "on": ["update"]}`;
        without "when" it sets the fields on every save."""
        sobject = self._type(item, "a field update")
        changes = item.get("set")
        if not isinstance(changes, dict) or not changes:
            raise RuleError('A field update needs "set": {field: value}')
        checked = {}
        for name, value in changes.items():
            f = self._field(sobject, name)
            values.coerce(sobject, f, value)  # refuse a value the field cannot hold, now
            checked[f.name] = value
        spec, condition = _condition(sobject, item.get("when"))
        rule = FieldUpdate(sobject.name, str(item.get("name") or "field update"), condition,
                           spec, checked, _events(item.get("on"), default=("update",)))
        with self.mutex:
            self.field_updates.append(rule)
        return rule

    def add_query_timeout(self, item: dict | str) -> QueryTimeout:
        """`{"pattern": regex}` (or the regex): queries it matches time out."""
        pattern = item.get("pattern") if isinstance(item, dict) else item
        if not isinstance(pattern, str) or not pattern:
            raise RuleError('A query timeout needs "pattern": a regular expression of SOQL')
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"pattern is not a valid regular expression ({exc})") from None
        rule = QueryTimeout(compiled)
        with self.mutex:
            self.query_timeouts.append(rule)
        return rule

    # -- the hooks the org's writes, logins and queries call ------------------------------

    def before_save(self, sobject: SObjectType, event: str, current: dict | None,
                    row: dict) -> None:
        """Apply the field updates to a record about to be saved (`row` gains their fields)."""
        rules = [r for r in self.field_updates if r.type == sobject.name and event in r.on]
        for rule in rules:
            merged = {**(current or {}), **row}
            record = {f.name: values.to_json(f, merged.get(f.name))
                      for f in sobject.fields.values()}
            if rule.condition(record):
                for name, value in rule.changes.items():
                    row[name] = values.coerce(sobject, sobject.fields[name], value)

    def check_edit(self, sobject: SObjectType, current: dict, user_id: str | None) -> None:
        """INSUFFICIENT_ACCESS_OR_READONLY when the record is read-only to the user.

        Wording and empty fields as recorded: "INSUFFICIENT_ACCESS_OR_READONLY, insufficient
        access rights on object id: []" (an Apex DML failure quoted in a client's source).
        """
        entries = [r for r in self.read_only_records
                   if r.type == sobject.name and r.user_id == user_id]
        if not entries:
            return
        record = {f.name: values.to_json(f, current.get(f.name)) for f in sobject.fields.values()}
        if any(entry.condition(record) for entry in entries):
            raise errors.InsufficientAccessOrReadonly(
                "insufficient access rights on object id", [])

    def check_duplicates(self, sobject: SObjectType, event: str, row: dict,
                         record_id: str | None) -> None:
        """DUPLICATES_DETECTED when a rule finds the record's duplicates (alerting rules too:
        the API saves past an alert only with the DuplicateRuleHeader, which sfmock lacks)."""
        for rule in [r for r in self.duplicate_rules if r.type == sobject.name and event in r.on]:
            wanted = [row.get(name) for name in rule.match]
            if any(value in (None, "") for value in wanted):
                continue
            where = " AND ".join(f'"{name}" = ? COLLATE NOCASE' for name in rule.match)
            found = [r[0] for r in self.org.db.execute(
                f'SELECT Id FROM "{sobject.name}" WHERE {where} AND IsDeleted = 0 '
                f"AND Id IS NOT ? ORDER BY Id", [*wanted, record_id]).fetchall()]
            if found:
                raise errors.DuplicatesDetected(rule.message, _duplicate_result(
                    rule, sobject.name, found, _api_version()))

    def check_login(self, user_id: str) -> None:
        """The SOAP login fault of a user without API access, as recorded in integration
        vendors' help pages: `API_CURRENTLY_DISABLED: API is disabled for this User`."""
        if user_id in self.api_disabled:
            raise errors.LoginError("API_CURRENTLY_DISABLED", "API is disabled for this User")

    def check_api_access(self, user_id: str) -> None:
        """A data call by a user without API access: 403 API_DISABLED_FOR_ORG, worded as
        recorded (django-allauth's Salesforce test fixture, connector guides)."""
        if user_id in self.api_disabled:
            raise errors.ApiDisabledForOrg("The REST API is not enabled for this Organization.")

    def check_query(self, soql: str) -> None:
        """QUERY_TIMEOUT, HTTP 400, "Your query request was running for too long." (the body
        clients record: `[{"message": ..., "errorCode": "QUERY_TIMEOUT"}]`, no fields)."""
        if any(rule.pattern.search(soql) for rule in self.query_timeouts):
            raise errors.QueryTimeout("Your query request was running for too long.")

    # -- helpers ------------------------------------------------------------------------

    def _type(self, item: object, what: str) -> SObjectType:
        if not isinstance(item, dict) or not item.get("type"):
            raise RuleError(f'{what} needs "type": the object it applies to, e.g. "Contact"')
        try:
            return self.org.sobject(str(item["type"]))
        except errors.NotFound:
            raise RuleError(f"No object '{item['type']}' in this org for {what}") from None

    def _field(self, sobject: SObjectType, name: object):
        f = sobject.field(str(name))
        if f is None:
            raise RuleError(f"No field '{name}' on {sobject.name}")
        return f

    def _user(self, item: object) -> tuple[str, str]:
        username = item.get("user") if isinstance(item, dict) else None
        creds = self.org.users.get(str(username or "").lower())
        if creds is None:
            raise RuleError(f"No user '{username}' in this org: name a user by username, "
                            'e.g. {"user": "integration@sfmock.dev"}')
        return creds.user_id, creds.username


def _condition(sobject: SObjectType, given: object) -> tuple[dict, Condition]:
    """A condition's spec and test; none given holds for every record."""
    if given in (None, {}):
        return {}, lambda record: True
    return compile_condition(sobject, given)


def _events(given: object, default: tuple[str, ...] = EVENTS) -> tuple[str, ...]:
    if given is None:
        return default
    chosen = [given] if isinstance(given, str) else given
    if not isinstance(chosen, list) or not chosen or any(e not in EVENTS for e in chosen):
        raise RuleError(f'"on" is "insert", "update" or both as a list, not {given!r}')
    return tuple(chosen)


def _api_version() -> str:
    """The API version of the call being served (its change origin names it)."""
    found = re.search(r"/(\d+\.\d)$", change_origin.get())
    return found.group(1) if found else "59.0"


def _duplicate_result(rule: DuplicateRule, type_name: str, found: list[str],
                      version: str) -> dict:
    """The `duplicateResult` of a recorded REST answer, key for key."""
    return {
        "allowSave": not rule.block,
        "duplicateRule": rule.name,
        "duplicateRuleEntityType": type_name,
        "errorMessage": rule.message,
        "matchResults": [{
            "entityType": type_name,
            "errors": [],
            "matchEngine": rule.match_engine,
            "matchRecords": [{
                "additionalInformation": [], "fieldDiffs": [], "matchConfidence": 100.0,
                "record": {"attributes": {
                    "type": type_name,
                    "url": f"/services/data/v{version}/sobjects/{type_name}/{record_id}"},
                    "Id": record_id},
            } for record_id in found],
            "rule": rule.matching_rule,
            "size": len(found),
            "success": True,
        }],
    }
