"""The admin's settings: what they mean, how a value is checked, and the table that keeps them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .base import StoreBase
from .errors import SettingsError

EMAIL_OPT_OUT_FIELD = "HasOptedOutOfEmail"

FieldChoice = Literal["email-opt-out", "marketo-sales-opt-out"]
FIELD_CHOICES: tuple[FieldChoice, ...] = ("email-opt-out", "marketo-sales-opt-out")


@dataclass(frozen=True)
class Settings:
    """The admin's choices; a setting never changed keeps its default."""

    nightly_sync: bool = False
    field: FieldChoice = "email-opt-out"
    # The Marketo Sales Connect package does not document the API name of its "Marketo Sales
    # Opt Out" checkbox; this default is a guess. Admins can set the real name here.
    marketo_field_api_name: str = "ToutApp__MSE_Opt_Out__c"
    honour_salesforce_resubscribes: bool = False
    fan_out_by_email: bool = False
    bulk_threshold: int = 10_000
    api_reserve_percent: float = 10.0
    stale_hours: float = 24.0
    cdc: bool = False  # stream Salesforce's changes over the Pub/Sub API (syncer/stream/)
    poll_minutes: float = 0.0  # the stream's fallback: an incremental pull every N minutes; 0 off

    @property
    def field_api_name(self) -> str:
        """API name of the Salesforce checkbox that the sync reads and writes."""
        if self.field == "email-opt-out":
            return EMAIL_OPT_OUT_FIELD
        return self.marketo_field_api_name


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}
# A custom field's API name: optional namespace, letters/digits/single underscores, then __c.
_CUSTOM_FIELD = re.compile(r"(?:[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__)?"
                           r"[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*__c")


def _boolean(name: str, value: Any) -> bool:
    text = str(value).strip().lower()
    if text not in _TRUE | _FALSE:
        raise SettingsError(f"{name} must be true or false, not {value!r}: use true or false")
    return text in _TRUE


def _field_choice(name: str, value: Any) -> str:
    if value not in FIELD_CHOICES:
        raise SettingsError(f"{name} cannot be {value!r}: use {' or '.join(FIELD_CHOICES)}")
    return value


def _custom_field_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _CUSTOM_FIELD.fullmatch(value.strip()):
        raise SettingsError(
            f"{name} {value!r} is not a custom field API name:"
            " copy it from Setup > Object Manager > Contact > Fields (it ends in __c)"
        )
    return value.strip()


def _number(name: str, value: Any, accept: Callable[[float], bool], hint: str) -> float:
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and accept(number)):
        raise SettingsError(f"{name} cannot be {value!r}: use {hint}")
    return number


SETTING_VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "nightly_sync": _boolean,
    "field": _field_choice,
    "marketo_field_api_name": _custom_field_name,
    "honour_salesforce_resubscribes": _boolean,
    "fan_out_by_email": _boolean,
    "bulk_threshold": lambda name, value: int(_number(
        name, value, lambda x: x >= 1 and x.is_integer(), "a whole number of records, 1 or more"
    )),
    "api_reserve_percent": lambda name, value: _number(
        name, value, lambda x: 0 <= x < 100, "a percentage from 0 to under 100"
    ),
    "stale_hours": lambda name, value: _number(
        name, value, lambda x: x > 0, "a number of hours above 0"
    ),
    "cdc": _boolean,
    "poll_minutes": lambda name, value: _number(
        name, value, lambda x: x == 0 or 0.01 <= x <= 1440,
        "minutes between polls, from 0.01 to 1440 (0 turns polling off)"
    ),
}


def validate_setting(name: str, value: Any) -> Any:
    """The typed value of one setting (text from a form or CLI accepted). Raises SettingsError."""
    if name not in SETTING_VALIDATORS:
        raise SettingsError(
            f"unknown setting {name!r}: use one of {', '.join(SETTING_VALIDATORS)}"
        )
    return SETTING_VALIDATORS[name](name, value)


class SettingsTable(StoreBase):

    def get_settings(self) -> Settings:
        stored = {}
        for row in self._rows("SELECT key, value FROM settings"):
            if row["key"] in SETTING_VALIDATORS:
                stored[row["key"]] = validate_setting(row["key"], json.loads(row["value"]))
        return Settings(**stored)

    def update_settings(self, *, actor: str | None = None, **changes: Any) -> Settings:
        """Validate and save some settings, logging a 'settings' event. Raises SettingsError."""
        values = {name: validate_setting(name, value) for name, value in changes.items()}
        with self.transaction():
            before = self.get_settings()
            changed = {name: {"old": getattr(before, name), "new": value}
                       for name, value in values.items() if getattr(before, name) != value}
            for name, change in changed.items():
                self._write(
                    "INSERT INTO settings (key, value) VALUES (?, ?)"
                    " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (name, json.dumps(change["new"])),
                )
            if changed:
                self.record_event("settings", source="manual", actor=actor,
                                  details={"changes": changed})
            return self.get_settings()

    # Other rows of the settings table (the web app's signing key, password hash, API keys),
    # stored as JSON under their key and not part of `Settings`.

    def get_value(self, key: str) -> Any:
        row = self._row("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(row["value"]) if row else None

    def put_value(self, key: str, value: Any, *, replace: bool = True) -> None:
        """Store `value` under `key`; with replace=False, keep a value already there."""
        conflict = "DO UPDATE SET value = excluded.value" if replace else "DO NOTHING"
        self._write(f"INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) {conflict}",
                    (key, json.dumps(value)))

    def values_with_prefix(self, prefix: str) -> dict[str, Any]:
        """Every stored value whose key starts with `prefix`, by key, in key order."""
        rows = self._rows("SELECT key, value FROM settings WHERE substr(key, 1, ?) = ?"
                          " ORDER BY key", (len(prefix), prefix))
        return {row["key"]: json.loads(row["value"]) for row in rows}

    def delete_value(self, key: str) -> None:
        self._write("DELETE FROM settings WHERE key = ?", (key,))
