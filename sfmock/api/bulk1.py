"""Bulk API 1.0 routes (`/services/async/<version>/job...`), in JSON, XML and CSV.

Routes only parse and serialise; jobs, batches and their processing live in
`sfmock.models.bulk1`. Every error on these paths, the session check and injected faults
included, is answered in Bulk API 1.0's own shape (`exceptionCode`/`exceptionMessage`, HTTP
400), in JSON when the request or its job speaks JSON and in XML otherwise, as Salesforce's
own client (wsc BulkConnection) expects.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Blueprint, Response, g, request

from .. import errors
from ..models import bulk1
from ..models.bulk1 import Bulk1, Job
from .context import current_org

bp = Blueprint("bulk1", __name__)

BASE = "/services/async/<version>"
JSON_TYPE = "application/json;charset=UTF-8"
XML_TYPE = "application/xml;charset=UTF-8"
CSV_TYPE = "text/csv;charset=UTF-8"
# Salesforce errors raised before the route runs (session, allocation, injected faults),
# as Bulk API 1.0 names them: (exceptionCode, message to use instead, HTTP status).
FROM_REST = {
    # Bulk API 1.0 answers an invalid session with 400, not 401 (apache/camel PR #826).
    "INVALID_SESSION_ID": ("InvalidSessionId", "Invalid session id", 400),
    "REQUEST_LIMIT_EXCEEDED": ("ExceededQuota", None, 400),
    "UNABLE_TO_LOCK_ROW": ("TooManyLockFailure", None, 400),
    "NOT_FOUND": ("InvalidUrl", None, 400),
}
ADD_BATCH_TYPES = {"JSON": ("application/json",), "CSV": ("text/csv",),
                   "XML": ("application/xml", "text/xml")}


def _jobs() -> Bulk1:
    return Bulk1.for_org(current_org())


def _job_of_request() -> Job | None:
    job_id = (request.view_args or {}).get("job_id")
    try:
        return _jobs().get(job_id) if job_id else None
    except errors.AsyncApiError:
        return None


def _wants_json(job: Job | None = None) -> bool:
    """A job answers in its own format (XML for CSV jobs); before there is one, the request's
    Content-Type (or Accept) decides, as Salesforce's client (wsc BulkConnection) expects."""
    if job is not None:
        return job.content_type == "JSON"
    accepted = request.headers.get("Accept", "")
    return request.mimetype == "application/json" or "application/json" in accepted


def _info(items: dict, xml_root: str, xml_items: list, job: Job | None,
          status: int = 200) -> Response:
    if _wants_json(job):
        return Response(json.dumps(items, separators=(",", ":")), status, content_type=JSON_TYPE)
    return Response(bulk1.xml_document(xml_root, xml_items), status, content_type=XML_TYPE)


def _job_response(job: Job) -> Response:
    return _info(job.info(), "jobInfo", job.xml_items(), job)


def _job_spec() -> dict:
    body = request.get_data()
    if request.mimetype == "application/json":
        try:
            spec = json.loads(body)
        except ValueError as exc:
            raise errors.AsyncApiError("ClientInputError", f"The request is not valid JSON: "
                                       f"{exc}: send a jobInfo object") from None
        if not isinstance(spec, dict):
            raise errors.AsyncApiError("ClientInputError", 'Send a jobInfo object, e.g. '
                                       '{"operation": "insert", "object": "Contact", '
                                       '"contentType": "JSON"}')
        return spec
    return bulk1.parse_job_xml(body)


# -- jobs -------------------------------------------------------------------------------------


@bp.post(f"{BASE}/job")
def create_job(version: str) -> Response:
    job = _jobs().create_job(_job_spec(), user_id=g.session.user_id, version=version)
    return _info(job.info(), "jobInfo", job.xml_items(), None, 201)  # in the request's format


@bp.get(f"{BASE}/job/<job_id>")
def job_info(version: str, job_id: str) -> Response:
    return _job_response(_jobs().get(job_id))


@bp.post(f"{BASE}/job/<job_id>")
def job_state(version: str, job_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id)
    return _job_response(jobs.set_state(job, _job_spec().get("state")))


# -- batches ----------------------------------------------------------------------------------


@bp.post(f"{BASE}/job/<job_id>/batch")
def add_batch(version: str, job_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id)
    allowed = ADD_BATCH_TYPES[job.content_type]
    if not job.is_query and request.mimetype not in allowed:
        raise errors.AsyncApiError(
            "InvalidBatch", f"Content-Type {request.mimetype or 'none'} does not match the "
            f"job's contentType {job.content_type}: send the batch as {allowed[0]}")
    added, _ = jobs.add_batch(job, request.get_data(), path=request.path)
    return _info(added.info(), "batchInfo", added.xml_items(), job, 201)


@bp.get(f"{BASE}/job/<job_id>/batch")
def list_batches(version: str, job_id: str) -> Response:
    job = _jobs().get(job_id)
    batches = list(job.batches.values())
    if _wants_json(job):
        return _json({"batchInfo": [b.info() for b in batches]})
    inner = "".join(f"<batchInfo>{bulk1.xml_elements(b.xml_items())}</batchInfo>"
                    for b in batches)
    return Response(f'{bulk1.XML_HEAD}<batchInfoList xmlns="{bulk1.NAMESPACE}">{inner}'
                    "</batchInfoList>", content_type=XML_TYPE)


@bp.get(f"{BASE}/job/<job_id>/batch/<batch_id>")
def batch_info(version: str, job_id: str, batch_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id)
    batch = jobs.batch(job, batch_id)
    return _info(batch.info(), "batchInfo", batch.xml_items(), job)


@bp.get(f"{BASE}/job/<job_id>/batch/<batch_id>/request")
def batch_request(version: str, job_id: str, batch_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id)
    batch = jobs.batch(job, batch_id)
    return Response(batch.request, content_type=_content_type(job))


@bp.get(f"{BASE}/job/<job_id>/batch/<batch_id>/result")
def batch_results(version: str, job_id: str, batch_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id)
    results = jobs.results(job, jobs.batch(job, batch_id))
    if job.content_type == "JSON":
        return _json(results)
    if job.is_query:  # the list of result ids is XML for CSV jobs too
        return Response(bulk1.result_list_xml(results), content_type=XML_TYPE)
    if job.content_type == "CSV":
        return Response(bulk1.dml_results_csv(results), content_type=CSV_TYPE)
    return Response(bulk1.dml_results_xml(results), content_type=XML_TYPE)


@bp.get(f"{BASE}/job/<job_id>/batch/<batch_id>/result/<result_id>")
def query_result(version: str, job_id: str, batch_id: str, result_id: str) -> Response:
    jobs = _jobs()
    job = jobs.get(job_id)
    batch = jobs.batch(job, batch_id)
    rows = jobs.query_rows(job, batch, result_id)
    assert batch.plan is not None and batch.plan.shape is not None
    shape = batch.plan.shape
    chunks: Iterable[str]
    if job.content_type == "JSON":
        chunks = bulk1.query_json(shape, rows, version)
    elif job.content_type == "CSV":
        chunks = bulk1.query_csv(shape, rows)
    else:
        chunks = bulk1.query_xml(shape, rows)
    return Response((c.encode() for c in chunks), content_type=_content_type(job))


@bp.route(f"{BASE}/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"])
def unknown(version: str, rest: str) -> Response:
    if request.method not in ("GET", "POST"):
        raise errors.AsyncApiError("InvalidUrl", f"HTTP method {request.method} is not "
                                   "allowed: Bulk API 1.0 takes GET and POST", 405)
    if rest.split("/", 1)[0] != "job":
        # Salesforce's hint for this code: check the spelling of "job" in the URI.
        raise errors.AsyncApiError("InvalidOperation", f"Unknown operation /{rest}: check "
                                   "the spelling of 'job' in the URI")
    raise errors.AsyncApiError("InvalidUrl", f"Unknown URL /services/async/{version}/{rest}: "
                               "see the Bulk API 1.0 resources job, job/<id>, "
                               "job/<id>/batch[/<id>[/result[/<id>]|/request]]")


# -- errors -----------------------------------------------------------------------------------


def _content_type(job: Job) -> str:
    return {"JSON": JSON_TYPE, "CSV": CSV_TYPE, "XML": XML_TYPE}[job.content_type]


def _json(data: object) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), content_type=JSON_TYPE)


@bp.errorhandler(errors.AsyncApiError)
def _async_error(exc: errors.AsyncApiError) -> Response:
    return _error_response(exc.code, exc.message, exc.status)


@bp.errorhandler(errors.SalesforceError)
def _rest_error(exc: errors.SalesforceError) -> Response:
    code, message, status = FROM_REST.get(
        exc.error_code, ("Unknown", None, exc.status if exc.status >= 500 else 400))
    return _error_response(code, message or exc.message, status)


def _error_response(code: str, message: str, status: int) -> Response:
    if _wants_json(_job_of_request()):
        return Response(json.dumps({"exceptionCode": code, "exceptionMessage": message}),
                        status, content_type=JSON_TYPE)
    body = bulk1.xml_document("error", [("exceptionCode", code), ("exceptionMessage", message)])
    return Response(body, status, content_type=XML_TYPE)
