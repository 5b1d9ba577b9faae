"""One run at a time per database, across processes."""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

from ..store import Store
from .errors import NightlyError, SyncBusy

_memory_locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_memory_guard = threading.Lock()


@contextmanager
def sync_lock(store: Store) -> Iterator[None]:
    """Hold the store's sync lock, or raise SyncBusy naming the holder.

    A file lock (fcntl) next to the database, so two processes on one database exclude each
    other and a crashed holder frees it; an in-memory store uses a process-local lock.
    """
    if store.path == ":memory:":
        with _memory_guard:
            lock = _memory_locks.setdefault(store, threading.Lock())
        if not lock.acquire(blocking=False):
            raise SyncBusy("another sync is running on this store: wait for it to finish")
        try:
            yield
        finally:
            lock.release()
        return
    path = store.path + ".sync-lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as problem:
        raise NightlyError(f"cannot open the sync lock {path} ({problem.strerror}):"
                           " check the database folder's permissions") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 512, 0).decode(errors="replace").strip() or "unknown"
            raise SyncBusy(f"another sync is running ({holder}): wait for it to finish") from None
        owner = f"pid {os.getpid()} on {socket.gethostname()} since {store.now()}"
        os.ftruncate(fd, 0)
        os.pwrite(fd, owner.encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
