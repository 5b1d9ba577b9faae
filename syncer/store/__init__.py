"""The syncer's local store (SQLite through sqlite-utils): it owns its schema and every query.

One connection per Store, shared by threads under a lock; WAL, and BEGIN IMMEDIATE writers that
wait up to 30 s for each other. Timestamps are ISO-8601 UTC text that sorts as time does.
"""

from .errors import (
    IdempotencyConflict,
    InvalidEmail,
    InvalidSalesforceId,
    InvalidValue,
    NotFound,
    SalesforceIdInUse,
    SettingsError,
    StoreError,
)
from .outbox import OUTBOX_STATES
from .records import CaptureResult, OutboxItem, Person, SyncRun
from .settings import (
    EMAIL_OPT_OUT_FIELD,
    FIELD_CHOICES,
    SETTING_VALIDATORS,
    FieldChoice,
    Settings,
    validate_setting,
)
from .store import Store
from .values import (
    SOURCES,
    Clock,
    iso_utc,
    normalise_email,
    system_clock,
    utcnow_iso,
    validate_salesforce_id,
)

__all__ = [
    "EMAIL_OPT_OUT_FIELD", "FIELD_CHOICES", "OUTBOX_STATES", "SETTING_VALIDATORS", "SOURCES",
    "CaptureResult", "Clock", "FieldChoice", "IdempotencyConflict", "InvalidEmail",
    "InvalidSalesforceId", "InvalidValue", "NotFound", "OutboxItem", "Person",
    "SalesforceIdInUse", "Settings", "SettingsError", "Store", "StoreError", "SyncRun",
    "iso_utc", "normalise_email", "system_clock", "utcnow_iso", "validate_salesforce_id",
    "validate_setting",
]
