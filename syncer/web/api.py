"""The capture API for Sales Connect: POST /api/unsubscribes and POST /api/resubscribes.

    curl -X POST http://127.0.0.1:8080/api/unsubscribes \\
         -H "Authorization: Bearer $SYNCER_API_KEY" -H "Content-Type: application/json" \\
         -H "Idempotency-Key: 9b2f6c1e-unsub-ann" \\
         -d '{"email": "ann@example.com", "reason": "clicked unsubscribe"}'

Body: a JSON object with `email` and/or `salesforce_id` (at least one), and optional `source`
(api, link, manual or import; default api), `reason` (required for a resubscribe) and
`occurred_at` (ISO-8601 with a time zone). Answers 202 once the change is in the store; the
push to Salesforce is tried right after, and its outcome is in the answer (`state`), but a
push that fails never loses the capture: it waits in the outbox. Repeating a request with the
same Idempotency-Key answers as the first time and changes nothing (per API key); reusing a
key for another change is 422. Errors are {"error": "<one line naming the fix>"}: 400 bad
input, 401 missing or unknown key, 413 body over 64 KiB, 415 not JSON.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Blueprint, current_app, g, request

from ..service import Syncer
from ..store import IdempotencyConflict, StoreError, iso_utc
from . import auth

bp = Blueprint("api", __name__, url_prefix="/api")

SOURCES = ("api", "link", "manual", "import")
FIELDS = ("email", "salesforce_id", "source", "reason", "occurred_at")
MAX_REASON = 1000
MAX_KEY = 255
CLOCK_SKEW = timedelta(minutes=5)
CREATE_KEY = "create one with `syncer api-key create NAME`"


class BadRequest(Exception):
    """Input the API refuses; `status` and a one-line message naming the fix."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@bp.errorhandler(BadRequest)
def _bad_request(problem: BadRequest):
    return {"error": str(problem)}, problem.status


@bp.before_request
def _authenticate():
    """Let the request through (None) only with a known API key; else answer 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    service: Syncer = current_app.extensions["syncer"]
    if not header:
        why = f"no API key: send the header Authorization: Bearer <key> ({CREATE_KEY})"
    elif scheme.lower() != "bearer" or not key.strip():
        why = "the Authorization header is not 'Bearer <key>': send Authorization: Bearer <key>"
    else:
        g.api_key = auth.api_key_name(service.store, key.strip())
        if g.api_key is not None:
            return None
        why = f"this API key is not known (revoked or mistyped): check it, or {CREATE_KEY}"
    response = current_app.json.response({"error": why})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = (
        'Bearer realm="syncer"' if not header else 'Bearer realm="syncer", error="invalid_token"')
    return response


@bp.post("/unsubscribes")
def unsubscribes():
    return _capture(opted_out=True)


@bp.post("/resubscribes")
def resubscribes():
    return _capture(opted_out=False)


def _capture(*, opted_out: bool):
    body = _json_body()
    source = body.get("source", "api")
    if source not in SOURCES:
        raise BadRequest(f"source {source!r} is not known: use one of {', '.join(SOURCES)}"
                         " (or leave it out for api)")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > MAX_REASON):
        raise BadRequest(f"reason is not text of at most {MAX_REASON} characters: send a"
                         " shorter text, or leave reason out")
    occurred_at = body.get("occurred_at")
    if occurred_at is not None:
        occurred_at = _past_timestamp(occurred_at)
    service: Syncer = current_app.extensions["syncer"]
    change = service.unsubscribe if opted_out else service.resubscribe
    try:
        outcome = change(body.get("email"), body.get("salesforce_id"), source=source,
                         reason=reason, actor=f"api key {g.api_key}", occurred_at=occurred_at,
                         idempotency_key=_idempotency_key())
    except IdempotencyConflict as problem:
        raise BadRequest(str(problem), 422) from None
    except StoreError as problem:
        raise BadRequest(str(problem)) from None
    answer = {key: value for key, value in outcome.to_json().items() if key != "push"}
    return {"status": "accepted", **answer}, 202


def _json_body() -> dict:
    if not request.is_json:
        raise BadRequest(f"the body must be JSON, not {request.mimetype or 'untyped'}: send"
                         " the header Content-Type: application/json", 415)
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as problem:
        raise BadRequest(f"the body is not valid JSON ({problem}): send an object such as"
                         ' {"email": "ann@example.com"}') from None
    except RecursionError:
        raise BadRequest('the body is nested too deeply: send a flat object such as'
                         ' {"email": "ann@example.com"}') from None
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object such as {"email": "ann@example.com"}')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}: send only {', '.join(FIELDS)}")
    for name in ("email", "salesforce_id"):
        if body.get(name) is not None and not isinstance(body[name], str):
            raise BadRequest(f"{name} is not a JSON string: send it in quotes")
    if body.get("email") is None and body.get("salesforce_id") is None:
        raise BadRequest("the body says nobody: send an email or a salesforce_id (or both)")
    return body


def _past_timestamp(value: object) -> str:
    """occurred_at in the store's form; it may not be in the future."""
    if not isinstance(value, str):
        raise BadRequest("occurred_at is not a string: send ISO-8601 such as"
                         " 2026-11-28T20:00:00Z")
    try:
        stamp = iso_utc(value)
    except StoreError as problem:
        raise BadRequest(f"occurred_at: {problem}") from None
    service: Syncer = current_app.extensions["syncer"]
    if datetime.fromisoformat(stamp) > service.store.clock() + CLOCK_SKEW:
        raise BadRequest(f"occurred_at {value} is in the future: send when the person"
                         " actually unsubscribed")
    return stamp


def _idempotency_key() -> str | None:
    """The client's Idempotency-Key, scoped to its API key, or None if it sent none."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isascii() or not key.isprintable():
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY} printable ASCII characters:"
                         " send a new unique value (e.g. a UUID) per change")
    return f"{g.api_key}:{key}"
