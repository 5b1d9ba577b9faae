"""Why a run could not start, or stopped."""

from __future__ import annotations


class NightlyError(Exception):
    """A run could not start or had to stop; the message is one line naming the fix."""


class SyncBusy(NightlyError):
    pass


class ReserveReached(NightlyError):
    pass
