"""sObject Collections, Composite and Composite Batch routes. Subrequests are served by this
same app as part of their parent call (docs/emulator.md, "Composite")."""

from __future__ import annotations

import json
import re

from flask import Blueprint, Response, current_app, g, jsonify, request

from .. import errors
from ..models import collections
from .context import SUBREQUEST, current_org

bp = Blueprint("composite", __name__)

BASE = "/services/data/v<version>/composite"
FORCE_ALL_OR_NONE = "sfmock.all_or_none"  # environ flag: Composite allOrNone=true applies
MAX_SUBREQUESTS = 25
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
REFERENCE_ID = re.compile(r"^[A-Za-z0-9_]+$")
REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
PATH_STEP = re.compile(r"\.([A-Za-z0-9_]+)|\[(\d+)\]")
FORBIDDEN_HEADERS = ("accept", "authorization", "content-type")
NOT_IN_COMPOSITE = re.compile(r"^/services/data/v[\d.]+/(composite(/(batch|tree|graph))?/?$|jobs/)")
KEPT_HEADERS = ("Location", "ETag", "Last-Modified")
HALTED = "The transaction was rolled back since another operation in the same transaction failed."


# -- sObject Collections ------------------------------------------------------------------


def parsed_body(data: object) -> object:
    """A Collections call's parsed JSON body (None when it was not JSON: the error for it)."""
    if data is None:
        raise errors.JsonParserError("The request body is not JSON: send a JSON object")
    return data


def _body() -> object:
    return parsed_body(request.get_json(silent=True))


def _forced() -> bool | None:
    return True if request.environ.get(FORCE_ALL_OR_NONE) else None


def record_hook(org, method: str, path: str):
    """The per-record fault hook for a call (None while the org has no fault rules)."""
    faults = org.faults
    if not faults.rules:
        return None
    return lambda record_id: faults.on_record(method, path, record_id)


def _on_record():
    return record_hook(current_org(), request.method, request.path)


@bp.post(f"{BASE}/sobjects")
def create(version: str) -> Response:
    return jsonify(collections.create(current_org(), _body(), user_id=g.session.user_id,
                                      all_or_none=_forced(), on_record=_on_record()))


@bp.patch(f"{BASE}/sobjects")
def update(version: str) -> Response:
    return _results(collections.update(current_org(), _body(), user_id=g.session.user_id,
                                       all_or_none=_forced(), on_record=_on_record()))


def _results(results: list[dict]) -> Response:
    text = results_text(current_app.json, results)
    if text is None:
        return jsonify(results)
    return current_app.response_class(text, mimetype=current_app.json.mimetype)


def results_text(provider, results: list[dict]) -> str | None:
    """`jsonify(results)`'s text, each plain success written from a template (json.dumps of
    200 small dicts was a tenth of a Collections update, benchmarks/README.md, "Session 4"),
    or None when the app's JSON settings are not the ones app.py sets. A success's Id is
    letters and digits, which JSON writes as they are."""
    if provider.sort_keys or provider.compact is not True:
        return None
    parts = []
    for item in results:
        record_id = item.get("id")
        if item.get("errors") is collections.NO_ERRORS and item["success"] is True \
                and len(item) == 3 and type(record_id) is str and record_id.isascii() \
                and record_id.isalnum():
            parts.append(f'{{"id":"{record_id}","success":true,"errors":[]}}')
        else:
            parts.append(provider.dumps(item, separators=(",", ":")))
    return f"[{','.join(parts)}]\n"


@bp.delete(f"{BASE}/sobjects")
def delete(version: str) -> Response:
    record_ids = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
    flag = request.args.get("allOrNone", "false").strip().lower() == "true"  # as Java parses
    return jsonify(collections.delete(current_org(), record_ids,
                                      all_or_none=flag or bool(_forced()),
                                      on_record=_on_record()))


@bp.get(f"{BASE}/sobjects/<sobject>")
@bp.post(f"{BASE}/sobjects/<sobject>")
def retrieve(version: str, sobject: str) -> Response:
    if request.method == "POST":
        body = _body()
        if not isinstance(body, dict):
            raise errors.JsonParserError('Send {"ids": [...], "fields": [...]}')
        record_ids, fields = body.get("ids") or [], body.get("fields") or []
        if not all(isinstance(v, str) for v in [*record_ids, *fields]):
            raise errors.JsonParserError('ids and fields are lists of strings: send '
                                         '{"ids": ["003..."], "fields": ["Email"]}')
    else:
        record_ids = [i.strip() for i in request.args.get("ids", "").split(",") if i.strip()]
        fields = [f.strip() for f in request.args.get("fields", "").split(",") if f.strip()]
    return jsonify(collections.retrieve(current_org(), sobject, record_ids, fields, version))


@bp.patch(f"{BASE}/sobjects/<sobject>/<field_name>")
def upsert(version: str, sobject: str, field_name: str) -> Response:
    return jsonify(collections.upsert(current_org(), sobject, field_name, _body(),
                                      user_id=g.session.user_id, all_or_none=_forced(),
                                      on_record=_on_record()))


# -- Composite --------------------------------------------------------------------------


@bp.post(BASE)
def composite(version: str) -> Response:
    body = _body()
    if not isinstance(body, dict) or not isinstance(body.get("compositeRequest"), list):
        raise errors.JsonParserError(
            'Send {"allOrNone": false, "compositeRequest": [{"method", "url", "referenceId"}]}')
    items = body["compositeRequest"]
    all_or_none = body.get("allOrNone", False) is True
    _check_subrequests(items, "compositeRequest", "url")
    seen: set[str] = set()
    for item in items:
        ref = item.get("referenceId")
        if not isinstance(ref, str) or not REFERENCE_ID.match(ref):
            raise errors.InvalidBatchRequest(
                f"referenceId {ref!r} is missing or invalid: use only letters, numbers and "
                "underscores ('_'), starting with a letter or a number")
        if ref in seen:
            raise errors.InvalidBatchRequest(f"Duplicate referenceId provided in the request: {ref}")
        seen.add(ref)
    if not all_or_none:
        return jsonify({"compositeResponse": _run_composite(items, False)[0]})
    (results, _), kept = current_org().transaction(
        lambda: _run_composite(items, True), keep=lambda outcome: not outcome[1])
    if not kept:
        results = [
            results[i] if i == len(results) - 1 else _halted(item["referenceId"], HALTED)
            for i, item in enumerate(items)
        ]
    return jsonify({"compositeResponse": results})


def _run_composite(items: list[dict], all_or_none: bool) -> tuple[list[dict], bool]:
    """Run subrequests in order; stop at the first failure when all-or-none."""
    results: list[dict] = []
    bodies: dict[str, object] = {}
    for item in items:
        ref = item["referenceId"]
        try:
            url = _resolve(item["url"], bodies, in_url=True)
            sub_body = _resolve(item.get("body"), bodies)
        except errors.ProcessingHalted as exc:
            results.append(_halted(ref, exc.message))
            if all_or_none:
                return results, True
            continue
        status, headers, payload = _dispatch(item["method"], url, sub_body,
                                             item.get("httpHeaders") or {}, all_or_none)
        results.append({"body": payload, "httpHeaders": headers, "httpStatusCode": status,
                        "referenceId": ref})
        failed = status >= 400 or (all_or_none and isinstance(payload, list) and any(
            isinstance(r, dict) and r.get("success") is False for r in payload))
        if not failed:
            bodies[ref] = payload
        elif all_or_none:
            return results, True
    return results, False


def _halted(ref: str, message: str) -> dict:
    return {"body": errors.ProcessingHalted(message).body(), "httpHeaders": {}, "httpStatusCode": 400,
            "referenceId": ref}


def _resolve(value: object, bodies: dict[str, object], in_url: bool = False) -> object:
    """`value` with each `@{ref.field}` / `@{ref.records[0].Id}` replaced by its result."""
    if isinstance(value, dict):
        return {k: _resolve(v, bodies) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, bodies) for v in value]
    if not isinstance(value, str) or "@{" not in value:
        return value
    whole = REFERENCE.fullmatch(value)
    if whole and not in_url:
        return _lookup(whole, bodies)
    return REFERENCE.sub(lambda m: _text(_lookup(m, bodies)), value)


def _lookup(match: re.Match, bodies: dict[str, object]) -> object:
    ref, steps = match.group(1), match.group(2)
    expression = match.group(0)[2:-1]
    missing = errors.ProcessingHalted(
        f"Invalid reference specified. No value for {expression} found in {ref}.")
    if ref not in bodies:
        raise missing
    value = bodies[ref]
    for name, index in PATH_STEP.findall(steps):
        if name and isinstance(value, dict) and name in value:
            value = value[name]
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            raise missing
    if value is None:
        raise missing
    return value


def _text(value: object) -> str:
    return json.dumps(value) if isinstance(value, (dict, list, bool)) else str(value)


def _dispatch(method: str, url: str, body: object, headers: dict,
              all_or_none: bool) -> tuple[int, dict, object]:
    """Serve one subrequest through this app with the caller's session."""
    path, _, query = url.partition("?")
    environ = {SUBREQUEST: True, "RAW_URI": url}
    if all_or_none:
        environ[FORCE_ALL_OR_NONE] = True
    client = current_app.test_client()
    response = client.open(
        path, method=method, query_string=query, headers={
            **headers, "Authorization": f"Bearer {g.session.token}"},
        data=None if body is None else json.dumps(body),
        content_type="application/json" if body is not None else None,
        environ_overrides=environ)
    data = response.get_data()
    try:
        payload = json.loads(data) if data else None
    except ValueError:
        payload = data.decode("utf-8", "replace")
    kept = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
    return response.status_code, kept, payload


def _check_subrequests(items: list, key: str, url_key: str) -> None:
    if not items:
        raise errors.InvalidBatchRequest(f"{key} is empty: give 1 to {MAX_SUBREQUESTS} subrequests")
    if len(items) > MAX_SUBREQUESTS:
        raise errors.InvalidBatchRequest(
            f"{key} has {len(items)} subrequests; the limit is {MAX_SUBREQUESTS}: split it into "
            "several calls")
    for item in items:
        if not isinstance(item, dict):
            raise errors.InvalidBatchRequest(f"Each entry of {key} is an object with method and url")
        if item.get("method") not in METHODS:
            raise errors.InvalidBatchRequest(
                f"method {item.get('method')!r} is not one of {', '.join(METHODS)} "
                "(case sensitive)")
        url = item.get(url_key)
        if not isinstance(url, str) or not url.startswith("/services/data/v"):
            raise errors.InvalidBatchRequest(
                f"url {url!r} must be a resource under /services/data/vXX.X/")
        if NOT_IN_COMPOSITE.match(url.split("?", 1)[0]):
            raise errors.InvalidBatchRequest(f"{url} cannot be used as a subrequest")
        headers = item.get("httpHeaders") or {}
        if not isinstance(headers, dict):
            raise errors.InvalidBatchRequest("httpHeaders is an object of header names and values")
        for name in headers:
            if name.lower() in FORBIDDEN_HEADERS:
                raise errors.InvalidBatchRequest(
                    f"The {name} header cannot be set on a subrequest: subrequests inherit it "
                    "from the top-level request")


# -- Composite Batch -------------------------------------------------------------------------


@bp.post(f"{BASE}/batch")
def batch(version: str) -> Response:
    body = _body()
    if not isinstance(body, dict) or not isinstance(body.get("batchRequests"), list):
        raise errors.JsonParserError(
            'Send {"haltOnError": false, "batchRequests": [{"method", "url"}]}')
    items = [dict(item, url=_batch_url(item.get("url"))) if isinstance(item, dict) else item
             for item in body["batchRequests"]]
    _check_subrequests(items, "batchRequests", "url")
    halt = body.get("haltOnError", False) is True
    results: list[dict] = []
    halted = False
    for item in items:
        if halted:
            results.append({"statusCode": 412, "result": [{
                "errorCode": "BATCH_PROCESSING_HALTED",
                "message": "Batch processing halted per request"}]})
            continue
        status, _, payload = _dispatch(item["method"], item["url"], item.get("richInput"),
                                       item.get("httpHeaders") or {}, False)
        results.append({"statusCode": status, "result": payload})
        halted = halt and status >= 400
    return jsonify({"hasErrors": any(r["statusCode"] >= 400 for r in results),
                    "results": results})


def _batch_url(url: object) -> object:
    """Batch URLs are relative to /services/data (`v59.0/sobjects/...`), or absolute."""
    if isinstance(url, str) and url.startswith("v"):
        return f"/services/data/{url}"
    return url
