"""Signed, expiring unsubscribe-link tokens: one token per person, unguessable, untamperable.

A token is itsdangerous's URL-safe timed signature (HMAC-SHA1 over a key derived from the
store's secret) of {"p": person id, "e": keyed hash of the person's email}. Editing any part
breaks the signature; a token for one person never opens another's page; a link made before
the person's email changed stops working. Tokens expire after `max_age` (60 days by default,
as CASL asks an unsubscribe link to work for at least 60 days after sending).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ..store import Person, Store

DEFAULT_MAX_AGE = timedelta(days=60)
SALT = "syncer.unsubscribe-link"
PATH = "/unsubscribe/"

VALID, EXPIRED, INVALID = "valid", "expired", "invalid"


@dataclass(frozen=True)
class LinkCheck:
    """What a token says: `status` VALID, EXPIRED or INVALID, and the person when not INVALID."""

    status: str
    person: Person | None = None
    issued_at: datetime | None = None


class LinkTokens:
    """Makes and reads unsubscribe tokens with one secret; `clock` gives Unix time in seconds."""

    def __init__(self, secret: str, max_age: timedelta = DEFAULT_MAX_AGE,
                 clock: Callable[[], float] = time.time):
        self.secret = secret
        self.max_age = max_age

        class Signer(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock())

        self._serializer = URLSafeTimedSerializer(secret, salt=SALT, signer=Signer)

    def _email_hash(self, email: str) -> str:
        key = hashlib.sha256(f"{SALT}:email:{self.secret}".encode()).digest()
        return hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:32]

    def make(self, person: Person) -> str:
        return self._serializer.dumps({"p": person.id, "e": self._email_hash(person.email)})

    def url(self, base_url: str, person: Person) -> str:
        """The person's unsubscribe link under the web app at `base_url`."""
        return base_url.rstrip("/") + PATH + self.make(person)

    def check(self, token: str, store: Store) -> LinkCheck:
        """Verify `token` and find its person; expiry is only reported for genuine tokens."""
        status = VALID
        try:
            payload, issued = self._serializer.loads(
                token, max_age=int(self.max_age.total_seconds()), return_timestamp=True)
        except SignatureExpired as expired:
            status = EXPIRED
            payload, issued = self._serializer.load_payload(expired.payload), expired.date_signed
        except BadSignature:
            return LinkCheck(INVALID)
        if not (isinstance(payload, dict) and isinstance(payload.get("p"), int)
                and isinstance(payload.get("e"), str)):
            return LinkCheck(INVALID)
        person = store.get_person(payload["p"])
        if person is None or not hmac.compare_digest(payload["e"],
                                                     self._email_hash(person.email)):
            return LinkCheck(INVALID)
        return LinkCheck(status, person, issued.astimezone(UTC) if issued else None)
