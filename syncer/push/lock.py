"""One writer to Salesforce at a time per database, across threads and processes.

Every pusher (the service's, the web app's, a CLI command's, a nightly run's) holds this lock
from reading a batch of outbox rows until Salesforce's answer is recorded. Without it, two
pushers can send one person's values out of order: one reads `True`, its call fails and is
retried, while the other sends the newer `False`; the retry lands last and the stale value
wins in Salesforce (the fault soak found exactly that).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import filelock

from ..store import StoreError


class PushBusy(Exception):
    """Another pusher on this database held the lock for longer than we could wait."""


class PushLock:
    """The database's push lock: a file beside it (released by the OS if its holder dies)."""

    def __init__(self, db_path: str):
        if db_path == ":memory:":  # a private database: only this process can push from it
            self._lock: threading.Lock | filelock.FileLock = threading.Lock()
        else:
            self.path = f"{db_path}.push-lock"
            self._lock = filelock.FileLock(self.path, mode=0o600)

    @contextmanager
    def hold(self, timeout: float) -> Iterator[None]:
        """Hold the lock for the block; PushBusy if it is not ours within `timeout` seconds."""
        if isinstance(self._lock, filelock.FileLock):
            try:
                self._lock.acquire(timeout=timeout)
            except filelock.Timeout:
                raise PushBusy from None
            except OSError as problem:
                raise StoreError(
                    f"cannot use the push lock {self.path} ({problem.strerror}): run the syncer"
                    " as the user who owns the database, or remove that file"
                ) from None
        elif not self._lock.acquire(timeout=timeout):
            raise PushBusy
        try:
            yield
        finally:
            self._lock.release()
