"""The nightly run's Salesforce side, over the syncer's one client and its typed errors.

What the client has no helper for (a query page at a time, Composite Batch, a 2,000-Id
retrieve, Bulk API 2.0) is done here through `client.call(...)`; every call is retried on a
transient fault, and a Bulk ingest job is driven so that no retry runs it twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar
from urllib.parse import urlencode

from simple_salesforce.bulk2 import JobState, Operation
from simple_salesforce.exceptions import SalesforceOperationError

from ..retry import RetryPolicy
from ..salesforce import (
    PermanentError,
    SalesforceClient,
    SalesforceError,
    TransientError,
    api_error,
)

T = TypeVar("T")

RETRIEVE_LIMIT = 2000  # Ids per Collections retrieve sent as POST, as Salesforce allows
BULK_PAGE_ROWS = 50_000  # rows per Bulk API 2.0 query result page
BULK_POLL_MIN, BULK_POLL_MAX = 0.05, 2.0  # seconds between polls of a running Bulk job
BULK_WAIT_LIMIT = 86_400  # simple-salesforce's, a day
BULK_UPLOAD_BYTES = 100_000_000  # CSV bytes per Bulk API 2.0 ingest job (simple-salesforce's cap)


class Remote(Protocol):
    """What a run needs from Salesforce.

    Every method is one API call, except the bulk ones; `calls` counts the calls made so far
    and `usage()` is the (used, max) daily allocation last seen in a Sforce-Limit-Info header.
    """

    client: SalesforceClient  # the pusher drains the outbox through it
    policy: RetryPolicy  # and retries as the run does

    @property
    def calls(self) -> int: ...

    def limits(self) -> tuple[int, int]: ...

    def usage(self) -> tuple[int, int] | None: ...

    def query_pages(self, soqls: list[str]) -> list[dict]: ...

    def query_page(self, soql: str, *, include_deleted: bool) -> dict: ...

    def query_more(self, next_records_url: str) -> dict: ...

    def retrieve(self, sobject: str, ids: list[str], fields: list[str]) -> list[dict | None]: ...

    def bulk_query(self, sobject: str, soql: str, *, include_deleted: bool) -> Iterator[str]:
        """Start the job now; its result pages as they are read."""

    def bulk_update(self, sobject: str, csv_path: str, folder: str) -> list[str]: ...


class ClientRemote:
    """`Remote` on the syncer's SalesforceClient. `bulk_wait`: seconds before a job's first poll;
    `policy`: how often and how long a failed call is tried again."""

    def __init__(self, client: SalesforceClient, *, bulk_wait: float = 2.0,
                 policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.bulk_wait = bulk_wait
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def _call(self, what: str, action: Callable[..., T]) -> T:
        """`client.call(what, action)`, tried again on a transient fault."""
        return self.policy.call(self.client.call, what, action, sleep=self.sleep)

    @property
    def calls(self) -> int:
        return self.client.calls

    def limits(self) -> tuple[int, int]:
        daily = self._call("reading the org's limits", lambda sf: sf.limits())["DailyApiRequests"]
        return daily["Max"] - daily["Remaining"], daily["Max"]

    def usage(self) -> tuple[int, int] | None:
        return self.client.allocation()

    def query_pages(self, soqls: list[str]) -> list[dict]:
        """The first pages of several queryAll queries in one Composite Batch call; a refused
        query fails the call as its error says (a QUERY_TIMEOUT is tried again)."""
        def batch(sf):
            requests = [{"method": "GET", "url": f"v{sf.sf_version}/queryAll/?"
                         + urlencode({"q": soql})} for soql in soqls]
            answer = sf.restful("composite/batch", method="POST",
                                json={"haltOnError": False, "batchRequests": requests})
            for soql, item in zip(soqls, answer["results"], strict=True):
                if item["statusCode"] >= 400:
                    raise _query_refused(soql, item)
            return [item["result"] for item in answer["results"]]

        return self._call("querying Contacts and Leads", batch)

    def query_page(self, soql: str, *, include_deleted: bool) -> dict:
        return self._call("querying", lambda sf: sf.query(soql, include_deleted=include_deleted))

    def query_more(self, next_records_url: str) -> dict:
        return self._call("querying", lambda sf: sf.query_more(
            next_records_url, identifier_is_url=True))

    def retrieve(self, sobject: str, ids: list[str], fields: list[str]) -> list[dict | None]:
        """Up to 2,000 records by Id in one call (POST, so the Ids need not fit in a URL)."""
        if len(ids) > RETRIEVE_LIMIT:
            raise ValueError(f"retrieve takes at most {RETRIEVE_LIMIT} Ids, not {len(ids)}")
        found = self._call(f"reading {sobject} records", lambda sf: sf.restful(
            f"composite/sobjects/{sobject}", method="POST", json={"ids": ids, "fields": fields}))
        return found or [None] * len(ids)

    def _jobs(self, sobject: str, what: str, step: Callable[..., T]) -> T:
        """One Bulk API 2.0 step, `step(jobs)` on the type's job client, tried again."""
        return self._call(what, lambda sf: step(getattr(sf.bulk2, sobject)._client))

    def _wait(self, sobject: str, job: str, is_query: bool, what: str) -> None:
        """Poll the job until it completes, as simple-salesforce's wait_for_job does (its
        errors too), but each poll retried on its own and the pause a fifth of the time waited
        so far (0.05 to 2 s): its backoff (up to 3 s) overshot a job's end by seconds."""
        def done(jobs) -> bool:
            info = jobs.get_job(job, is_query)
            if info["state"] in (JobState.aborted, JobState.failed):
                raise SalesforceOperationError(
                    f"Job failure. Response content: {info.get('errorMessage') or info}")
            return info["state"] == JobState.job_complete

        self.sleep(self.bulk_wait)
        waited = self.bulk_wait
        while not self._jobs(sobject, what, done):
            pause = min(max(waited / 5, BULK_POLL_MIN), BULK_POLL_MAX)
            self.sleep(pause)
            waited += pause
            if waited > BULK_WAIT_LIMIT:
                raise SalesforceOperationError(f"Job timeout. Job {job} is still running")

    def bulk_query(self, sobject: str, soql: str, *, include_deleted: bool) -> Iterator[str]:
        """Start a Bulk API 2.0 query job now; its result pages, each a CSV text with its
        header, as they are read (the job runs in Salesforce meanwhile)."""
        operation = Operation.query_all if include_deleted else Operation.query
        job = self._jobs(sobject, f"starting a Bulk API 2.0 {sobject} query",
                         lambda jobs: jobs.create_job(operation, soql)["id"])
        return self._query_results(sobject, job)

    def _query_results(self, sobject: str, job: str) -> Iterator[str]:
        self._wait(sobject, job, True, f"waiting for a Bulk API 2.0 {sobject} query")
        locator = ""
        while True:
            page = self._jobs(sobject, f"reading Bulk API 2.0 {sobject} results",
                              lambda jobs, at=locator: jobs.get_query_results(
                                  job, at, BULK_PAGE_ROWS))
            yield page["records"]
            locator = page["locator"]
            if not locator:
                return

    def bulk_update(self, sobject: str, csv_path: str, folder: str) -> list[str]:
        """Run Bulk API 2.0 update jobs from a CSV file; the paths of their failed-rows CSVs."""
        paths = []
        for data in _csv_parts(csv_path, BULK_UPLOAD_BYTES):
            job = self.policy.call(self._open_job, sobject, data, sleep=self.sleep)
            self._close_job(sobject, job)
            self._wait(sobject, job, False, f"waiting for a Bulk API 2.0 {sobject} update")
            info = self._jobs(sobject, f"reading a Bulk API 2.0 {sobject} update",
                              lambda jobs, j=job: jobs.get_job(j, False))
            if int(info["numberRecordsFailed"]):
                path = os.path.join(folder, f"failed-{job}.csv")
                self._call(f"reading a Bulk API 2.0 {sobject} update's failures",
                           lambda sf, j=job, p=path: getattr(sf.bulk2, sobject)
                           .get_failed_records(j, file=p))
                paths.append(path)
        return paths

    def _open_job(self, sobject: str, data: str) -> str:
        """A new ingest job holding `data`, not yet closed; one try (a failed upload's job is
        left Open, so it never runs, and aborted if Salesforce lets us)."""
        what = f"creating a Bulk API 2.0 {sobject} update"
        job = self.client.call(what, lambda sf: getattr(sf.bulk2, sobject)._client.create_job(
            Operation.update)["id"])
        try:
            self.client.call(f"uploading a Bulk API 2.0 {sobject} update", lambda sf: getattr(
                sf.bulk2, sobject)._client.upload_job_data(job, data))
        except TransientError:
            try:
                self.client.call(what, lambda sf: getattr(sf.bulk2, sobject)._client.abort_job(
                    job, False))
            except TransientError:
                pass  # still Open: it never runs
            raise
        return job

    def _close_job(self, sobject: str, job: str) -> None:
        """Mark the job's upload complete, once: a retry first reads whether it already is."""
        what = f"closing a Bulk API 2.0 {sobject} update"
        tried = False

        def close(jobs) -> None:
            nonlocal tried
            if tried and jobs.get_job(job, False)["state"] != JobState.open:
                return
            tried = True
            jobs.close_job(job)

        self._jobs(sobject, what, close)


def _csv_parts(path: str, limit: int) -> Iterator[str]:
    """The CSV file as texts of at most about `limit` bytes, each with the header line."""
    with open(path, newline="") as source:
        header = source.readline()
        part, size = [header], len(header)
        for line in source:
            if size + len(line) > limit and len(part) > 1:
                yield "".join(part)
                part, size = [header], len(header)
            part.append(line)
            size += len(line)
        if len(part) > 1:
            yield "".join(part)


def _query_refused(soql: str, item: dict) -> SalesforceError:
    """The error of a Composite Batch query that failed; a field it cannot read gets the fix
    for the chosen opt-out field."""
    error = (item.get("result") or [{}])[0]
    code, message = error.get("errorCode"), str(error.get("message", ""))
    if code in ("INVALID_FIELD", "INVALID_TYPE"):
        return PermanentError(
            f"Salesforce refused the query {soql[:80]}... ({code}: {' '.join(message.split())})",
            "check that the chosen opt-out field exists on Contact and Lead and the"
            " integration user can read it (`syncer doctor` checks this)",
            code=code, status=item["statusCode"])
    return api_error(code, message, item["statusCode"], f"running the query {soql[:80]}...")
