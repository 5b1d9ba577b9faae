"""Record behaviours configured on an org: validation rules and record locks.

Both apply to every API write path (REST, Collections, Composite, Bulk), which all go through
`Org.insert` / `Org.update` / `Org.delete`; system writes (`check=False`) skip validation rules
as seeding does.

- A validation rule's condition is the *error condition*, as in Setup: when it is true for the
  record as it would be saved, the write fails with FIELD_CUSTOM_VALIDATION_EXCEPTION, whose
  message is the rule's text and whose `fields` is `[error_field]` (or `[]` at the top of page).
- A lock makes writes to one record fail with UNABLE_TO_LOCK_ROW, for the next `calls` writes
  or until released, as when another transaction holds the row.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .. import errors, ids
from . import values
from .schema import SObjectType

Condition = Callable[[dict], bool]

OPERATORS: dict[str, Callable[[object, object], bool]] = {
    "=": operator.eq, "==": operator.eq, "!=": operator.ne,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "contains": lambda a, b: a is not None and str(b).lower() in str(a).lower(),
    "blank": lambda a, _: a in (None, ""),
    "not blank": lambda a, _: a not in (None, ""),
}


class RuleError(ValueError):
    """A rule or lock that cannot be set up; the message names the fix."""


@dataclass
class ValidationRule:
    type: str
    name: str
    condition: Condition
    message: str
    error_field: str | None = None
    spec: dict | None = None

    def summary(self) -> dict:
        """The rule as the admin API lists it (a callable condition shows as "<python>")."""
        return {"type": self.type, "name": self.name, "message": self.message,
                "errorField": self.error_field, "condition": self.spec or "<python>"}


@dataclass
class Rules:
    """Validation rules and record locks of one org."""

    lookup: Callable[[str], SObjectType]
    mutex: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    validations: list[ValidationRule] = field(default_factory=list)
    locks: dict[str, int | None] = field(default_factory=dict)

    # -- validation rules -------------------------------------------------------

    def add_validation(self, type_name: str, name: str, condition: Condition | dict | tuple,
                       message: str, error_field: str | None = None) -> ValidationRule:
        """Add (or replace, by name) a rule; `condition` is a callable or (field, op, value).

        A callable gets the record as it would be saved, `{field API name: JSON value}`, and
        returns True when the write must be refused. A spec such as
        `("HasOptedOutOfEmail", "=", True)` or `{"field": "Email", "op": "blank"}` compares
        one field; `{"all": [...]}` and `{"any": [...]}` join specs (AND, OR).
        """
        sobject = self.lookup(type_name)
        if not name or not message:
            raise RuleError("A validation rule needs a name and an error message")
        if error_field is not None:
            f = sobject.field(error_field)
            if f is None:
                raise RuleError(f"No field '{error_field}' on {sobject.name} for the error")
            error_field = f.name
        spec = None
        if not callable(condition):
            spec, condition = compile_condition(sobject, condition)
        rule = ValidationRule(sobject.name, name, condition, message, error_field, spec)
        with self.mutex:
            self.validations = [r for r in self.validations
                                if not (r.type == rule.type and r.name.lower() == name.lower())]
            self.validations.append(rule)
        return rule

    def remove_validation(self, type_name: str, name: str) -> None:
        sobject = self.lookup(type_name)
        with self.mutex:
            kept = [r for r in self.validations
                    if not (r.type == sobject.name and r.name.lower() == name.lower())]
            if len(kept) == len(self.validations):
                raise RuleError(f"No validation rule '{name}' on {sobject.name}")
            self.validations = kept

    def validate(self, sobject: SObjectType, row: dict) -> None:
        """FIELD_CUSTOM_VALIDATION_EXCEPTION from the first rule the record breaks."""
        rules = [r for r in self.validations if r.type == sobject.name]
        if not rules:
            return
        record = {f.name: values.to_json(f, row.get(f.name)) for f in sobject.fields.values()}
        for rule in rules:
            if rule.condition(dict(record)):
                fields = [rule.error_field] if rule.error_field else []
                raise errors.FieldCustomValidationException(rule.message, fields)

    # -- record locks -----------------------------------------------------------

    def lock(self, record_id: str, calls: int | None = None) -> str:
        """Hold a record's lock: its next `calls` writes fail (all of them when None)."""
        canonical = ids.normalise(record_id)
        if canonical is None:
            raise RuleError(f"'{record_id}' is not a record ID: pass a 15- or 18-character ID")
        if calls is not None and (not isinstance(calls, int) or calls < 1):
            raise RuleError("calls must be a whole number of writes, 1 or more (or omitted)")
        with self.mutex:
            self.locks[canonical] = calls
        return canonical

    def release(self, record_id: str) -> None:
        with self.mutex:
            self.locks.pop(ids.normalise(record_id) or record_id, None)

    def check_lock(self, record_id: str) -> None:
        """UNABLE_TO_LOCK_ROW when the record is locked; counts down a limited lock."""
        if record_id not in self.locks:
            return
        remaining = self.locks[record_id]
        if remaining is not None:
            if remaining <= 1:
                del self.locks[record_id]
            else:
                self.locks[record_id] = remaining - 1
        raise errors.UnableToLockRow(
            f"unable to obtain exclusive access to this record or 1 records: {record_id}", []
        )

    def clear(self) -> None:
        self.validations.clear()
        self.locks.clear()


def _spec(sobject: SObjectType, condition: dict | tuple | list) -> dict:
    """A condition as plain data: one field compared, or `{"all": [...]}` / `{"any": [...]}`
    of conditions (a formula's AND / OR), so fixtures and the admin API can state it."""
    if isinstance(condition, dict) and len(condition) == 1 and set(condition) & {"all", "any"}:
        (joiner, parts), = condition.items()
        if not isinstance(parts, list) or not parts:
            raise RuleError(f'"{joiner}" takes a non-empty list of conditions')
        return {joiner: [_spec(sobject, part) for part in parts]}
    if isinstance(condition, (tuple, list)) and len(condition) in (2, 3):
        condition = dict(zip(("field", "op", "value"), condition, strict=False))
    if not isinstance(condition, dict) or "field" not in condition or "op" not in condition:
        raise RuleError("A condition is a callable, (field, op, value), "
                        '{"field": ..., "op": ..., "value": ...} or {"all"|"any": [conditions]}')
    f = sobject.field(str(condition["field"]))
    if f is None:
        raise RuleError(f"No field '{condition['field']}' on {sobject.name} for the condition")
    op = str(condition["op"]).lower()
    if op not in OPERATORS:
        raise RuleError(f"Unknown operator '{condition['op']}'; use one of: "
                        + ", ".join(OPERATORS))
    return {"field": f.name, "op": op, "value": condition.get("value")}


def _compile(spec: dict) -> Condition:
    if "all" in spec or "any" in spec:
        parts = [_compile(part) for part in spec.get("all") or spec["any"]]
        joined = all if "all" in spec else any
        return lambda record: joined(part(record) for part in parts)
    compare = OPERATORS[spec["op"]]

    def condition(record: dict) -> bool:
        try:
            return bool(compare(record.get(spec["field"]), spec["value"]))
        except TypeError:  # e.g. None < 3: a blank field never breaks an ordering rule
            return False

    return condition


def compile_condition(sobject: SObjectType, condition: dict | tuple | list) -> tuple[dict, Condition]:
    """A condition's plain-data spec (checked against the type's fields) and its test."""
    spec = _spec(sobject, condition)
    return spec, _compile(spec)
