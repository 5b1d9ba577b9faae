"""Bulk API 1.0 (`/services/async/<version>/job`): jobs, batches, results, in JSON, CSV and XML.

A job is Open until it is Closed or Aborted; batches are added to an Open job in the job's
content type (a query job's batch is the SOQL text). A batch is processed when it is added,
in chunks of `CHUNK_ROWS` records, each chunk one transaction under `org.lock` and each
record in its own savepoint, through `dml.write_record` (the same org code REST, Collections
and Bulk 2.0 use). The add answers the batch as Queued, as Salesforce does; every later look
sees it Completed (or Failed with a `stateMessage`), so clients that poll see the states they
wait for, without waiting. A job aborted before its batches ran is impossible here, so no
batch ends NotProcessed.

A query batch snapshots the matching rows (8 bytes a row) and cuts them into result files of
`result_rows` records; each is rendered, in the job's format, when it is fetched. Salesforce
cuts results at 1 GB a file; the smaller default lets clients' chunk handling be exercised.

Wire shapes (the Bulk API Developer Guide, api_asynch): JSON job and batch info have their keys
in alphabetical order and dates as `...000+0000`; the XML `jobInfo`/`batchInfo` elements come
in the guide's fixed order with dates as `...000Z`.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import threading
import time
import xml.etree.ElementTree as ET
from array import array
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from xml.sax.saxutils import escape

from .. import errors, ids
from ..soql.compiler import Plan, Shape, compile_query
from ..soql.parser import parse
from . import values
from .bulk2 import csv_value, query_columns
from .dml import OPERATIONS, write_record
from .org import Org

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CONTENT_TYPES = {"JSON": "application/json", "CSV": "text/csv", "XML": "application/xml"}
QUERY_OPERATIONS = ("query", "queryAll")
MAX_RECORDS = 10_000  # records in one batch
MAX_BYTES = 10_000_000  # bytes (and characters) of one batch
DAILY_BATCHES = 15_000  # batches per rolling 24 hours
DAY_SECONDS = 24 * 3600
CHUNK_ROWS = 2000
RESULT_ROWS = 10_000
FINAL_BATCH_STATES = ("Completed", "Failed", "NotProcessed")
NULL_VALUE = "#N/A"  # a CSV cell that sets a field to null (an empty cell leaves it alone)
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


def _error(code: str, message: str, status: int = 400) -> errors.AsyncApiError:
    return errors.AsyncApiError(code, message, status)


@dataclass
class Batch:
    """One batch of a job: its request, state, counters and results."""

    id: str
    job_id: str
    created: str
    request: bytes
    state: str = "Queued"
    state_message: str | None = None
    modstamp: str = ""
    processed: int = 0
    failed: int = 0
    processing_ms: int = 0
    results: list[dict] = field(default_factory=list)  # DML: one per record, in order
    plan: Plan | None = None  # query: the compiled SOQL and the rows it matched
    rowids: array = field(default_factory=lambda: array("q"))
    result_ids: list[str] = field(default_factory=list)

    def info(self) -> dict:
        """The batch as JSON answers it (keys in alphabetical order)."""
        return {"apexProcessingTime": 0, "apiActiveProcessingTime": self.processing_ms,
                "createdDate": self.created, "id": self.id, "jobId": self.job_id,
                "numberRecordsFailed": self.failed, "numberRecordsProcessed": self.processed,
                "state": self.state, "stateMessage": self.state_message,
                "systemModstamp": self.modstamp, "totalProcessingTime": self.processing_ms}

    def xml_items(self) -> list[tuple[str, object]]:
        """The batch's `batchInfo` elements in the order Salesforce writes them."""
        items: list[tuple[str, object]] = [("id", self.id), ("jobId", self.job_id),
                                           ("state", self.state)]
        if self.state_message:
            items.append(("stateMessage", self.state_message))
        return items + [("createdDate", _z(self.created)), ("systemModstamp", _z(self.modstamp)),
                        ("numberRecordsProcessed", self.processed),
                        ("numberRecordsFailed", self.failed),
                        ("totalProcessingTime", self.processing_ms),
                        ("apiActiveProcessingTime", self.processing_ms),
                        ("apexProcessingTime", 0)]


@dataclass
class Job:
    """One Bulk API 1.0 job and its batches (in the order they were added)."""

    id: str
    operation: str
    object: str
    content_type: str
    concurrency_mode: str
    created_by: str
    created: str
    api_version: str
    external_id_field: str | None = None
    state: str = "Open"
    modstamp: str = ""
    batches: dict[str, Batch] = field(default_factory=dict)

    def _count(self, state: str) -> int:
        return sum(1 for b in self.batches.values() if b.state == state)

    def counters(self) -> dict:
        batches = list(self.batches.values())
        return {"numberBatchesCompleted": self._count("Completed"),
                "numberBatchesFailed": self._count("Failed"),
                "numberBatchesInProgress": self._count("InProgress"),
                "numberBatchesQueued": self._count("Queued"),
                "numberBatchesTotal": len(batches),
                "numberRecordsFailed": sum(b.failed for b in batches),
                "numberRecordsProcessed": sum(b.processed for b in batches),
                "processingTime": sum(b.processing_ms for b in batches)}

    def info(self) -> dict:
        """The job as JSON answers it: keys in alphabetical order, as a recorded answer has
        them (assignmentRuleId, externalIdFieldName and fastPathEnabled included)."""
        c = self.counters()
        return {"apexProcessingTime": 0, "apiActiveProcessingTime": c["processingTime"],
                "apiVersion": float(self.api_version), "assignmentRuleId": None,
                "concurrencyMode": self.concurrency_mode, "contentType": self.content_type,
                "createdById": self.created_by, "createdDate": self.created,
                "externalIdFieldName": self.external_id_field, "fastPathEnabled": False,
                "id": self.id, "numberBatchesCompleted": c["numberBatchesCompleted"],
                "numberBatchesFailed": c["numberBatchesFailed"],
                "numberBatchesInProgress": c["numberBatchesInProgress"],
                "numberBatchesQueued": c["numberBatchesQueued"],
                "numberBatchesTotal": c["numberBatchesTotal"],
                "numberRecordsFailed": c["numberRecordsFailed"],
                "numberRecordsProcessed": c["numberRecordsProcessed"], "numberRetries": 0,
                "object": self.object, "operation": self.operation, "state": self.state,
                "systemModstamp": self.modstamp, "totalProcessingTime": c["processingTime"]}

    def xml_items(self) -> list[tuple[str, object]]:
        """The job's `jobInfo` elements in the order Salesforce writes them."""
        c = self.counters()
        items: list[tuple[str, object]] = [
            ("id", self.id), ("operation", self.operation), ("object", self.object),
            ("createdById", self.created_by), ("createdDate", _z(self.created)),
            ("systemModstamp", _z(self.modstamp)), ("state", self.state)]
        if self.external_id_field:
            items.append(("externalIdFieldName", self.external_id_field))
        return items + [
            ("concurrencyMode", self.concurrency_mode), ("contentType", self.content_type),
            *[(name, c[name]) for name in ("numberBatchesQueued", "numberBatchesInProgress",
                                           "numberBatchesCompleted", "numberBatchesFailed",
                                           "numberBatchesTotal", "numberRecordsProcessed")],
            ("numberRetries", 0), ("apiVersion", self.api_version),
            ("numberRecordsFailed", c["numberRecordsFailed"]),
            ("totalProcessingTime", c["processingTime"]),
            ("apiActiveProcessingTime", c["processingTime"]), ("apexProcessingTime", 0)]

    @property
    def is_query(self) -> bool:
        return self.operation in QUERY_OPERATIONS


class Bulk1:
    """The Bulk API 1.0 jobs of one org."""

    def __init__(self, org: Org):
        self.org = org
        self.jobs: dict[str, Job] = {}
        self.result_rows = RESULT_ROWS
        self._lock = threading.RLock()
        self._batch_times: deque[float] = deque()

    @classmethod
    def for_org(cls, org: Org) -> Bulk1:
        """The job store of `org`, created once."""
        return org.attached("bulk1", cls)

    # -- jobs -------------------------------------------------------------------------

    def create_job(self, spec: dict, *, user_id: str, version: str) -> Job:
        """An Open job from the fields of a `jobInfo` (parsed from JSON or XML)."""
        operation = spec.get("operation")
        if operation not in OPERATIONS + QUERY_OPERATIONS:
            raise _error("InvalidJob", f"Invalid operation: {operation!r}: use one of "
                         + ", ".join(OPERATIONS + QUERY_OPERATIONS) + " (case matters)")
        name = spec.get("object")
        if not isinstance(name, str) or not name:
            raise _error("InvalidJob", "object is required: name the sObject, e.g. Contact")
        try:
            sobject = self.org.sobject(name)
        except errors.NotFound:
            raise _error("InvalidEntity", f"Unable to find object: {name}") from None
        content_type = spec.get("contentType") or "XML"  # the guide's default
        if content_type not in CONTENT_TYPES:
            raise _error("InvalidJob", f"Invalid content type: {content_type!r}: sfmock "
                         "serves JSON, CSV and XML jobs (no ZIP_ attachments)")
        mode = _concurrency_mode(spec.get("concurrencyMode"))
        ext_name = spec.get("externalIdFieldName")
        if operation == "upsert":
            ext = sobject.field(ext_name) if isinstance(ext_name, str) else None
            if ext is None or not (ext.external_id or ext.type == "id"):
                raise _error("InvalidJob", "externalIdFieldName must name an external ID field "
                             f"of {sobject.name} (or Id) for an upsert, not {ext_name!r}")
            ext_name = ext.name
        else:
            ext_name = None
        stamp = self.org.stamp()
        job = Job(self.org.new_id("750"), operation, sobject.name, content_type, mode, user_id,
                  stamp, version, ext_name, modstamp=stamp)
        with self._lock:
            self.jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job:
        """The job, or InvalidJob."""
        job = self.jobs.get(ids.normalise(job_id) or job_id)
        if job is None:
            raise _error("InvalidJob", f"Unable to find job: {job_id}: use the id the job "
                         "creation answered")
        return job

    def set_state(self, job: Job, state: object) -> Job:
        """Close (no more batches) or abort an Open job."""
        with self._lock:
            if state not in ("Closed", "Aborted"):
                raise _error("InvalidJobState", f"Invalid state: {state!r}: set Closed or "
                             "Aborted")
            if job.state != "Open":
                raise _error("InvalidJobState", f"Job {job.id} is already {job.state}: only an "
                             "Open job can be closed or aborted")
            job.state = state
            job.modstamp = self.org.stamp()
            for batch in job.batches.values():
                if state == "Aborted" and batch.state == "Queued":
                    batch.state = "NotProcessed"
            return job

    # -- batches ------------------------------------------------------------------------

    def batch(self, job: Job, batch_id: str) -> Batch:
        """A batch of `job`, or InvalidBatch."""
        found = job.batches.get(ids.normalise(batch_id) or batch_id)
        if found is None:
            raise _error("InvalidBatch", f"Unable to find batch: {batch_id} in job {job.id}")
        return found

    def add_batch(self, job: Job, body: bytes, *, path: str) -> tuple[Batch, Batch]:
        """Add a batch to an Open job and process it: (the batch as added, the batch).

        `path` is the URI of the add call, which record-scope fault rules match.
        """
        if len(body) > MAX_BYTES:
            raise _error("ClientInputError", f"Exceeded max size limit of {MAX_BYTES} bytes: "
                         "split the records into batches of at most 10 MB")
        records = None if job.is_query else _records(job.content_type, body)
        with self._lock:
            self._count_batch()  # a batch refused for a closed job still counts
            if job.state != "Open":
                raise _error("InvalidJobState", f"Job {job.id} is {job.state}: batches can "
                             "only be added to an Open job")
            stamp = self.org.stamp()
            batch = Batch(self.org.new_id("751"), job.id, stamp, body, modstamp=stamp)
            job.batches[batch.id] = batch
            job.modstamp = stamp
            added = dataclasses.replace(batch)
            batch.state = "InProgress"
        began = time.monotonic()
        try:
            if job.is_query:
                self._query(job, batch, body)
            else:
                self._load(job, batch, records, path)
            outcome, message = "Completed", None
        except errors.AsyncApiError as exc:
            outcome, message = "Failed", f"{exc.code} : {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a server fault fails the batch, as in an org
            outcome, message = "Failed", f"Unknown : {exc}"
        with self._lock:
            batch.processing_ms = int((time.monotonic() - began) * 1000)
            batch.state, batch.state_message = outcome, message
            batch.modstamp = self.org.stamp()
        return added, batch

    def batches_used(self) -> int:
        """Batches added in the rolling 24 hours (what /limits reports as DailyBulkApiBatches)."""
        with self._lock:
            cutoff = time.monotonic() - DAY_SECONDS
            while self._batch_times and self._batch_times[0] <= cutoff:
                self._batch_times.popleft()
            return len(self._batch_times)

    def _count_batch(self) -> None:
        if self.batches_used() >= DAILY_BATCHES:
            raise _error("ExceededQuota", f"Exceeded the limit of {DAILY_BATCHES} batches in "
                         "24 hours: wait for the rolling window to free some")
        self._batch_times.append(time.monotonic())

    def _load(self, job: Job, batch: Batch, records: list[dict], path: str) -> None:
        if len(records) > MAX_RECORDS:
            # Salesforce's text (salesforce.stackexchange.com/q/332337), fail the whole batch.
            raise _error("InvalidBatch", f"Exceeded number of records: {len(records)}. Number "
                         f"of records should be less than or equal to {MAX_RECORDS}")
        sobject = self.org.sobject(job.object)
        names = _field_names(sobject, records, job.operation)
        faults = self.org.faults
        for start in range(0, len(records), CHUNK_ROWS):
            chunk = records[start:start + CHUNK_ROWS]
            results = []
            with self.org.lock, self.org.db.atomic():
                for record in chunk:
                    data = {names[key]: value for key, value in record.items()}
                    given = data.pop("Id", None)
                    given = str(given) if given not in (None, "") else None
                    try:
                        with self.org.db.atomic():  # a failed record leaves nothing behind
                            faults.on_record("POST", path, ids.normalise(given or ""))
                            record_id, created = write_record(
                                self.org, sobject.name, job.operation, data, given,
                                external_id_field=job.external_id_field, user_id=job.created_by)
                    except errors.SalesforceError as exc:
                        known = ids.normalise(given) if given and job.operation != "insert" \
                            else None
                        results.append({"success": False, "created": False, "id": known,
                                        "errors": [{"statusCode": exc.error_code,
                                                    "message": exc.message,
                                                    "fields": exc.fields or []}]})
                    else:
                        results.append({"success": True, "created": created, "id": record_id,
                                        "errors": []})
            with self._lock:
                batch.results.extend(results)
                batch.processed += len(chunk)
                batch.failed += sum(1 for r in results if not r["success"])

    def _query(self, job: Job, batch: Batch, body: bytes) -> None:
        soql = body.decode("utf-8-sig", errors="replace").strip()
        try:
            query = parse(soql)
            if query.is_count or query.offset is not None:
                raise errors.MalformedQuery("Bulk API query does not support COUNT() or OFFSET: "
                                            "select fields, without OFFSET")
            plan = compile_query(query, self.org, include_deleted=job.operation == "queryAll",
                                 now=self.org.now())
            if plan.kind != "records":
                raise errors.MalformedQuery("Bulk API query does not support aggregate "
                                            "functions: select fields")
        except errors.SalesforceError as exc:
            raise _error("InvalidBatch", "Failed to process query: "
                         f"{exc.error_code}: {exc.message}") from None
        if plan.sobject.name != job.object:
            raise _error("InvalidBatch", f"Failed to process query: the query selects from "
                         f"{plan.sobject.name} but the job is for {job.object}: create a job "
                         "for that object")
        with self.org.lock:
            rowids = array("q", (r for (r,) in self.org.db.conn.execute(plan.sql, plan.params)))
        chunks = max(1, -(-len(rowids) // self.result_rows))
        with self._lock:
            batch.plan, batch.rowids = plan, rowids
            batch.result_ids = [self.org.new_id("752")[:15] for _ in range(chunks)]
            batch.processed = len(rowids)

    # -- results --------------------------------------------------------------------------

    def results(self, job: Job, batch: Batch) -> list:
        """A DML batch's per-record results, or a query batch's result ids."""
        if batch.state != "Completed":
            raise _error("InvalidBatch", f"Batch not completed: batch {batch.id} is "
                         f"{batch.state}" + (f" ({batch.state_message})"
                                             if batch.state_message else ""))
        return batch.result_ids if job.is_query else batch.results

    def query_rows(self, job: Job, batch: Batch, result_id: str) -> Iterator[tuple]:
        """The rows of one result file of a completed query batch, read as they are sent
        (checked now, so an unknown result id is an error answer, not a broken stream)."""
        if not job.is_query or result_id not in self.results(job, batch):
            raise _error("InvalidBatch", f"Unable to find result {result_id} of batch "
                         f"{batch.id}: use an id the batch's result list names")
        index = batch.result_ids.index(result_id)
        wanted = batch.rowids[index * self.result_rows:(index + 1) * self.result_rows]
        assert batch.plan is not None
        return self._rows(batch.plan, wanted)

    def _rows(self, plan: Plan, rowids: array) -> Iterator[tuple]:
        for start in range(0, len(rowids), CHUNK_ROWS):
            part = json.dumps(rowids[start:start + CHUNK_ROWS].tolist())
            with self.org.lock:
                yield from self.org.db.conn.execute(plan.page_sql, [part]).fetchall()


# -- reading batches ---------------------------------------------------------------------


def _records(content_type: str, body: bytes) -> list[dict]:
    """The records of a DML batch, each a {column: value} dict (values are strings for CSV
    and XML, JSON values as sent; None sets a field to null)."""
    if not body.strip():
        raise _error("InvalidBatch", "Records not processed: the batch is empty; send at "
                     "least one record")
    if content_type == "JSON":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise _error("InvalidBatch", f"Failed to parse JSON: {exc}: send an array of "
                         "record objects") from None
        # Salesforce answers a JSON object instead of an array so (simple-salesforce #366).
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise _error("InvalidBatch", "Records not processed: send a JSON array of record "
                         "objects, e.g. [{\"LastName\": \"Doe\"}]")
        return [{k: v for k, v in r.items() if k != "attributes"} for r in data]
    if content_type == "CSV":
        reader = csv.reader(io.StringIO(body.decode("utf-8-sig")))
        header = next(reader, None) or []
        out = []
        for row in reader:
            if not any(row):
                continue
            if len(row) > len(header):
                raise _error("InvalidBatch", f"Row {len(out) + 1} has {len(row)} values but "
                             f"the header has {len(header)} columns")
            out.append({column.strip(): (None if value == NULL_VALUE else value)
                        for column, value in zip(header, row, strict=False) if value != ""})
        return out
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise _error("InvalidXML", f"The batch is not well-formed XML: {exc}") from None
    if _local(root.tag) != "sObjects":
        raise _error("InvalidBatch", f"Expected an <sObjects> root element, not "
                     f"<{_local(root.tag)}>: wrap the records in <sObjects xmlns=\"{NAMESPACE}\">")
    records = []
    for element in root:
        record = {}
        for child in element:
            nil = child.get(f"{{{XSI}}}nil") == "true"
            record[_local(child.tag)] = None if nil else (child.text or "")
        records.append(record)
    return records


def _field_names(sobject, records: list[dict], operation: str) -> dict[str, str]:
    """The field API name of each column the records use; the batch fails on an unknown one."""
    names: dict[str, str] = {}
    for record in records:
        for key in record:
            if key in names:
                continue
            f = sobject.field(str(key).strip())
            if f is None:
                raise _error("InvalidBatch", f"Field name not found : {key}")
            names[key] = f.name
    if operation in ("delete", "hardDelete") and set(names.values()) - {"Id"}:
        raise _error("InvalidBatch", f"The '{operation}' batch must contain only the 'Id' "
                     "field")
    return names


def parse_job_xml(body: bytes) -> dict:
    """The fields of a `<jobInfo>` request body (create, close or abort)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise _error("InvalidXML", f"The request is not well-formed XML: {exc}") from None
    if _local(root.tag) != "jobInfo":
        raise _error("InvalidXML", f"Expected a <jobInfo> root element, not <{_local(root.tag)}>")
    return {_local(child.tag): (child.text or "").strip() for child in root}


def _concurrency_mode(given: object) -> str:
    # simple-salesforce sends the enum's ordinal (0 or 1), which Salesforce accepts.
    modes = {None: "Parallel", "Parallel": "Parallel", "Serial": "Serial", 0: "Parallel",
             1: "Serial", "0": "Parallel", "1": "Serial"}
    if isinstance(given, bool) or given not in modes:
        raise _error("InvalidJob", f"Invalid concurrencyMode: {given!r}: use Parallel or Serial")
    return modes[given]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _z(stamp: str) -> str:
    """XML dates end in Z where JSON ones end in +0000."""
    return stamp[:-5] + "Z" if stamp.endswith("+0000") else stamp


# -- writing answers ----------------------------------------------------------------------


def xml_document(root: str, items: list[tuple[str, object]]) -> str:
    """`<root xmlns=...>` with one element per (name, value) pair."""
    return f'{XML_HEAD}<{root} xmlns="{NAMESPACE}">{xml_elements(items)}</{root}>'


def xml_elements(items: list[tuple[str, object]]) -> str:
    return "".join(f"<{name}>{escape(_text(value))}</{name}>" for name, value in items)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dml_results_xml(results: list[dict]) -> str:
    parts = [f'{XML_HEAD}<results xmlns="{NAMESPACE}">']
    for r in results:
        errors_xml = "".join(
            "<errors>" + "".join(f"<fields>{escape(f)}</fields>" for f in e["fields"])
            + f"<message>{escape(e['message'])}</message>"
              f"<statusCode>{e['statusCode']}</statusCode></errors>" for e in r["errors"])
        record_id = f"<id>{r['id']}</id>" if r["id"] else ""
        parts.append(f"<result>{errors_xml}{record_id}<success>{_text(r['success'])}</success>"
                     f"<created>{_text(r['created'])}</created></result>")
    parts.append("</results>")
    return "".join(parts)


def dml_results_csv(results: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Id", "Success", "Created", "Error"])
    for r in results:
        error = "".join(f"{e['statusCode']}:{e['message']}:"
                        f"{','.join(e['fields']) + ' ' if e['fields'] else ''}--"
                        for e in r["errors"])
        writer.writerow([r["id"] or "", _text(r["success"]), _text(r["created"]), error])
    return out.getvalue()


def result_list_xml(result_ids: list[str]) -> str:
    inner = "".join(f"<result>{rid}</result>" for rid in result_ids)
    return f'{XML_HEAD}<result-list xmlns="{NAMESPACE}">{inner}</result-list>'


def query_json(shape: Shape, rows: Iterator[tuple], version: str) -> Iterator[str]:
    """A query result file as JSON: REST-like records, but dates and datetimes as epoch
    milliseconds, as Bulk API 1.0 writes them (simple-salesforce issue #290)."""
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + json.dumps(_json_record(shape, row, version),
                                              separators=(",", ":"))
    yield "]"


def _json_record(shape: Shape, row: tuple, version: str) -> dict | None:
    record_id = row[shape.id_index]
    if record_id is None:
        return None
    out: dict = {"attributes": {
        "type": shape.sobject.name,
        "url": f"/services/data/v{version}/sobjects/{shape.sobject.name}/{record_id}"}}
    for key, item in shape.items:
        if isinstance(item, Shape):
            out[key] = _json_record(item, row, version)
        else:
            out[key] = _json_value(_kind(shape, key), row[item])
    return out


def _json_value(kind: str, value: object) -> object:
    if value is None:
        return None
    if kind == "boolean":
        return bool(value)
    if kind in ("datetime", "date"):
        return _epoch_ms(kind, value)
    return value


def _epoch_ms(kind: str, value: object) -> object:
    if kind == "date":
        try:
            day = date.fromisoformat(str(value)[:10])
        except ValueError:
            return value
        return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)
    moment = values.parse_datetime(str(value))
    return int(moment.timestamp() * 1000) if moment else value


def _kind(shape: Shape, key: str) -> str:
    f = shape.sobject.field(key)
    return f.type if f else "string"


def query_csv(shape: Shape, rows: Iterator[tuple]) -> Iterator[str]:
    """A query result file as CSV: a header of field names (`Account.Name` for parents)."""
    columns = query_columns(shape)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([name for name, _, _ in columns])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_value(kind, row[index]) for _, index, kind in columns])
        if n % CHUNK_ROWS == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def query_xml(shape: Shape, rows: Iterator[tuple]) -> Iterator[str]:
    """A query result file as XML: `<records xsi:type="sObject">` with a `<type>` first."""
    yield f'{XML_HEAD}<queryResult xmlns="{NAMESPACE}" xmlns:xsi="{XSI}">'
    for row in rows:
        yield f'<records xsi:type="sObject">{_xml_record(shape, row)}</records>'
    yield "</queryResult>"


def _xml_record(shape: Shape, row: tuple) -> str:
    parts = [f"<type>{shape.sobject.name}</type>"]
    for key, item in shape.items:
        if isinstance(item, Shape):
            if row[item.id_index] is None:
                parts.append(f'<{key} xsi:nil="true"/>')
            else:
                parts.append(f'<{key} xsi:type="sObject">{_xml_record(item, row)}</{key}>')
            continue
        value = row[item]
        if value is None:
            parts.append(f'<{key} xsi:nil="true"/>')
        else:
            parts.append(f"<{key}>{escape(csv_value(_kind(shape, key), value))}</{key}>")
    return "".join(parts)
