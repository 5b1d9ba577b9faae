"""Bulk API 2.0 routes: ingest jobs (`/jobs/ingest`) and query jobs (`/jobs/query`).

Routes only parse and serialise; jobs, their state machine and processing live in
`sfmock.models.bulk2`.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from .. import errors
from ..models.bulk2 import RESULTS, Bulk2
from .context import current_org

bp = Blueprint("bulk2", __name__)

BASE = "/services/data/v<version>/jobs"


def _jobs() -> Bulk2:
    return Bulk2.for_org(current_org())


def _json() -> object:
    data = request.get_json(silent=True)
    if data is None:
        raise errors.JsonParserError("The request body is not JSON: send a JSON object")
    return data


def _listing(kind: str) -> Response:
    return jsonify({"done": True, "records": [job.summary() for job in _jobs().list(kind)],
                    "nextRecordsUrl": None})


# -- ingest ---------------------------------------------------------------------------------


@bp.post(f"{BASE}/ingest")
def create_ingest(version: str) -> Response:
    return jsonify(_jobs().create_ingest(_json(), user_id=g.session.user_id, version=version))


@bp.get(f"{BASE}/ingest")
def list_ingest(version: str) -> Response:
    return _listing("ingest")


@bp.get(f"{BASE}/ingest/<job_id>")
def ingest_info(version: str, job_id: str) -> Response:
    return jsonify(_jobs().get(job_id, "ingest").info())


@bp.put(f"{BASE}/ingest/<job_id>/batches")
def upload(version: str, job_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id, "ingest")
    if request.mimetype != "text/csv":
        raise errors.UnsupportedMediaType(
            f"Content-Type {request.content_type or 'none'} is not supported: upload the "
            "records as text/csv")
    jobs.upload(job, request.stream)
    return Response(status=201)


@bp.patch(f"{BASE}/ingest/<job_id>")
def ingest_state(version: str, job_id: str) -> Response:
    jobs = _jobs()
    return jsonify(jobs.set_state(jobs.get(job_id, "ingest"), _json()))


@bp.delete(f"{BASE}/ingest/<job_id>")
def delete_ingest(version: str, job_id: str) -> Response:
    jobs = _jobs()
    jobs.delete(jobs.get(job_id, "ingest"))
    return Response(status=204)


@bp.get(f"{BASE}/ingest/<job_id>/<which>")
def ingest_results(version: str, job_id: str, which: str) -> Response:
    if which.lower() not in RESULTS:
        raise errors.NotFound("The requested resource does not exist")
    jobs = _jobs()
    chunks = jobs.ingest_results(jobs.get(job_id, "ingest"), which)
    return Response(chunks, status=200, content_type="text/csv")


# -- query ------------------------------------------------------------------------------------


@bp.post(f"{BASE}/query")
def create_query(version: str) -> Response:
    return jsonify(_jobs().create_query(_json(), user_id=g.session.user_id, version=version))


@bp.get(f"{BASE}/query")
def list_query(version: str) -> Response:
    return _listing("query")


@bp.get(f"{BASE}/query/<job_id>")
def query_info(version: str, job_id: str) -> Response:
    return jsonify(_jobs().get(job_id, "query").info())


@bp.patch(f"{BASE}/query/<job_id>")
def query_state(version: str, job_id: str) -> Response:
    jobs = _jobs()
    return jsonify(jobs.set_state(jobs.get(job_id, "query"), _json()))


@bp.delete(f"{BASE}/query/<job_id>")
def delete_query(version: str, job_id: str) -> Response:
    jobs = _jobs()
    jobs.delete(jobs.get(job_id, "query"))
    return Response(status=204)


@bp.get(f"{BASE}/query/<job_id>/results")
def query_results(version: str, job_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id, "query")
    raw = request.args.get("maxRecords")
    if raw is not None and (not raw.isdigit() or int(raw) < 1):
        raise errors.BulkApiError(
            f"maxRecords must be a whole number of records, 1 or more, not {raw!r}")
    chunks, count, locator = jobs.query_page(job, request.args.get("locator") or None,
                                             int(raw) if raw is not None else None)
    response = Response(chunks, status=200, content_type="text/csv")
    response.headers["Sforce-NumberOfRecords"] = str(count)
    response.headers["Sforce-Locator"] = locator
    return response
