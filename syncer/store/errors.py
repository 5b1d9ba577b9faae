"""The store's errors: every message is one line that names the fix."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's errors; every message is one line that names the fix."""


class InvalidValue(StoreError):
    """An argument the store cannot accept."""


class InvalidEmail(InvalidValue):
    pass


class InvalidSalesforceId(InvalidValue):
    pass


class SettingsError(StoreError):
    pass


class NotFound(StoreError):
    pass


class SalesforceIdInUse(StoreError):
    pass


class IdempotencyConflict(StoreError):
    pass
