"""The web app's secrets and logins: the signing key, the admin password, API keys, CSRF.

Everything is kept in the store's `settings` table, under keys that `Store.get_settings`
ignores (so the CLI's `syncer settings` never shows them):

    web_secret_key        random key signing session cookies and unsubscribe links
    admin_password_hash   the admin password, hashed with werkzeug.security (scrypt, salted)
    api_key:<sha256 hex>  one API key: {"name", "created_at"}; the key itself is never stored

API keys are 256-bit random strings, so a plain SHA-256 of the key is safe to store and lets a
request find its key in one lookup. Admin sessions are Flask's signed cookies (HttpOnly,
SameSite=Lax); each carries a fingerprint of the password hash, so setting a new password
signs every session out. Every admin form carries a CSRF token kept in the session.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, session
from werkzeug.security import check_password_hash, generate_password_hash

from ..store import Store, StoreError

SECRET_KEY = "web_secret_key"
PASSWORD_HASH = "admin_password_hash"
API_KEY_PREFIX = "api_key:"
KEY_PREFIX = "syk_"
MIN_PASSWORD = 12
_KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class AuthError(StoreError):
    """A password or key the syncer cannot accept; the message names the fix."""


def secret_key(store: Store) -> str:
    """The store's signing key, created on first use (the CLI and the web app share it)."""
    store.put_value(SECRET_KEY, secrets.token_urlsafe(48), replace=False)
    return store.get_value(SECRET_KEY)


# -- the admin password ------------------------------------------------------------------------


def set_admin_password(store: Store, password: str, *, actor: str | None = None) -> None:
    """Hash and store the admin password (signs out every admin session)."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"the password has {len(password)} characters: use at least"
                        f" {MIN_PASSWORD}")
    with store.transaction():
        store.put_value(PASSWORD_HASH, generate_password_hash(password))
        store.record_event("settings", source="manual", actor=actor,
                           details={"changes": {"admin_password": "set"}})


def admin_password_set(store: Store) -> bool:
    return store.get_value(PASSWORD_HASH) is not None


def check_admin_password(store: Store, password: str) -> bool:
    stored = store.get_value(PASSWORD_HASH)
    return stored is not None and check_password_hash(stored, password)


def password_fingerprint(store: Store) -> str | None:
    """A short digest of the stored hash: it changes whenever the password does."""
    stored = store.get_value(PASSWORD_HASH)
    return hashlib.sha256(stored.encode()).hexdigest()[:16] if stored else None


class LoginThrottle:
    """Slows password guessing: after `limit` wrong passwords from one address within
    `window` seconds, that address must wait until the oldest of them is `window` old."""

    def __init__(self, limit: int = 10, window: float = 600.0,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, who: str, now: float) -> list[float]:
        for address in list(self._failures):
            self._failures[address] = [t for t in self._failures[address]
                                       if now - t < self.window]
            if not self._failures[address]:
                del self._failures[address]
        return self._failures.get(who, [])

    def wait(self, who: str) -> float:
        """Seconds before `who` may try again (0: now)."""
        with self._lock:
            now = self.clock()
            recent = self._recent(who, now)
            return recent[0] + self.window - now if len(recent) >= self.limit else 0.0

    def failed(self, who: str) -> None:
        with self._lock:
            self._failures.setdefault(who, []).append(self.clock())

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failures.pop(who, None)


# -- API keys ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiKey:
    name: str
    created_at: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def list_api_keys(store: Store) -> list[ApiKey]:
    keys = [ApiKey(**value) for value in store.values_with_prefix(API_KEY_PREFIX).values()]
    return sorted(keys, key=lambda k: k.name)


def create_api_key(store: Store, name: str) -> str:
    """Make a new API key called `name`, store its hash and return the key (shown only once)."""
    if not _KEY_NAME.fullmatch(name or ""):
        raise AuthError(f"API key name {name!r} is not usable: use 1 to 64 letters, digits,"
                        " dots, dashes or underscores, e.g. sales-connect")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        if any(existing.name == name for existing in list_api_keys(store)):
            raise AuthError(f"an API key named {name!r} exists: choose another name, or"
                            f" revoke it first (syncer api-key revoke {name})")
        store.put_value(API_KEY_PREFIX + _digest(key), {"name": name, "created_at": store.now()})
        store.record_event("settings", source="manual",
                           details={"changes": {"api_key": {"created": name}}})
    return key


def revoke_api_key(store: Store, name: str) -> bool:
    """Delete the API key called `name`; False if there is none."""
    with store.transaction():
        doomed = [key for key, value in store.values_with_prefix(API_KEY_PREFIX).items()
                  if value["name"] == name]
        for key in doomed:
            store.delete_value(key)
        if doomed:
            store.record_event("settings", source="manual",
                               details={"changes": {"api_key": {"revoked": name}}})
    return bool(doomed)


def api_key_name(store: Store, key: str) -> str | None:
    """The name of the API key `key`, or None if it is not a key the syncer issued."""
    if not key.startswith(KEY_PREFIX):
        return None
    found = store.get_value(API_KEY_PREFIX + _digest(key))
    return found["name"] if found else None


# -- CSRF --------------------------------------------------------------------------------------


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf(sent: str | None) -> None:
    """Abort with 400 unless `sent` is this session's CSRF token."""
    expected = session.get("csrf")
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        abort(400, "the form has expired or did not come from this site: reload the page"
                   " and submit it again")
