"""Field values: checking what a client writes and serialising what the API returns."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

from .. import errors, ids
from .schema import Field, SObjectType

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def format_datetime(moment: datetime) -> str:
    """Salesforce's JSON datetime: `2026-11-28T20:00:00.000+0000`, always UTC."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime from ISO-8601 text as clients send it, or None if it is not one."""
    match = DATETIME_RE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          int(second or 0), int((frac or "0").ljust(6, "0")))
    except ValueError:
        return None
    if zone in (None, "Z"):
        return moment.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
    return moment.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)


def _type_error(sobject: SObjectType, f: Field, value: object) -> errors.SalesforceError:
    shown = str(value).lower() if isinstance(value, bool) else value
    java = {"boolean": "boolean", "int": "int", "double": "double"}.get(f.type, "String")
    return errors.JsonParserError(
        f"Cannot deserialize instance of {java} from VALUE_STRING value {shown} or request may "
        f"be missing a required field at [line:1, column:1]"
    )


def coerce(sobject: SObjectType, f: Field, value: object) -> object:
    """The stored form of `value` for field `f`, or the SalesforceError a real org answers."""
    if value is None:
        return None
    kind = f.type
    if kind == "boolean":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return int(value.lower() == "true")
        raise _type_error(sobject, f, value)
    if kind in ("int", "double", "currency", "percent"):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _type_error(sobject, f, value)
        try:
            number = float(value)
        except ValueError:
            raise _type_error(sobject, f, value) from None
        return int(number) if kind == "int" else number
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and kind in ("string", "phone", "textarea"):
            value = str(value)
        else:
            raise errors.JsonParserError(
                f"Cannot deserialize instance of String from {type(value).__name__} value "
                f"{value} or request may be missing a required field at [line:1, column:1]"
            )
    if kind == "datetime":
        moment = parse_datetime(value)
        if moment is None:
            raise errors.InvalidTypeOnFieldInRecord(
                f"{f.label}: value not of required type: {value}", [f.name]
            )
        return format_datetime(moment.replace(microsecond=0))  # orgs keep whole seconds
    if kind == "date":
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            raise errors.InvalidTypeOnFieldInRecord(
                f"{f.label}: value not of required type: {value}", [f.name]
            ) from None
    if kind in ("reference", "id"):
        if value == "":
            return None
        canonical = ids.normalise(value)
        if canonical is None:
            raise errors.MalformedId(
                f"{f.label}: id value of incorrect type: {value}", [f.name]
            )
        return canonical
    if kind == "email" and value and not EMAIL_RE.match(value):
        raise errors.InvalidEmailAddress(f"{f.label}: invalid email address: {value}", [f.name])
    if f.length and len(value) > f.length:
        raise errors.StringTooLong(
            f"{f.label}: data value too large: {value[:40]} (max length={f.length})", [f.name]
        )
    if kind == "picklist" and value == "":
        return None
    return value


def to_json(f: Field, stored: object) -> object:
    """The JSON value of a stored column."""
    if stored is None:
        return None
    if f.type == "boolean":
        return bool(stored)
    if f.type == "address":
        return json.loads(stored)
    return stored


def compound_address(parts: list[tuple[str, str]], row: dict) -> str | None:
    """The stored (JSON) value of a compound address field, built from its component fields.

    Salesforce returns it as an object keyed by the components' names without the prefix
    (`MailingCity` -> `city`), in alphabetical order, and null while every component is blank.
    """
    if all(row.get(name) in (None, "") for _, name in parts):
        return None
    return json.dumps({key: row.get(name) for key, name in parts})
