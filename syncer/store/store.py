"""The syncer's store: one class made of one part per table (see docs/syncer.md)."""

from __future__ import annotations

from .capture import CaptureTable
from .events import EventsTable
from .outbox import OutboxTable
from .people import PeopleTable
from .runs import RunsTable
from .settings import SettingsTable
from .stream import StreamTable
from .sync import SyncReads


class Store(CaptureTable, PeopleTable, SyncReads, OutboxTable, EventsTable, RunsTable,
            SettingsTable, StreamTable):
    """The syncer's SQLite store. Share one per process between threads; close it when done.

    Every SQL statement on the syncer's tables is a method here.

    >>> store = Store(":memory:")
    >>> store.capture("Ann@Example.com", opted_out=True, source="link").duplicate
    False
    >>> store.get_person("ann@example.com").opted_out
    True
    """
