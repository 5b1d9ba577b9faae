"""The nightly run's Salesforce side, over the syncer's one client (syncer.salesforce).

`Remote` is what a run needs; `ClientRemote` provides it on a `SalesforceClient`, so every
call goes through that client's session: counted, re-logged-in on an expired session, its
allocation read from Sforce-Limit-Info, failures raised as its typed errors. What the client
has no helper for (a query page at a time, Composite Batch, a 2,000-Id retrieve, Bulk API 2.0)
is done here through `client.call(...)` with unmodified simple-salesforce.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Protocol
from urllib.parse import urlencode

from .salesforce import PermanentError, SalesforceClient

RETRIEVE_LIMIT = 2000  # Ids per Collections retrieve sent as POST, as Salesforce allows
BULK_PAGE_ROWS = 50_000  # rows per Bulk API 2.0 query result page


class Remote(Protocol):
    """What a run needs from Salesforce.

    Every method is one API call, except the bulk ones; `calls` counts the calls made so far
    and `usage()` is the (used, max) daily allocation last seen in a Sforce-Limit-Info header.
    """

    client: SalesforceClient  # the pusher drains the outbox through it

    @property
    def calls(self) -> int: ...

    def limits(self) -> tuple[int, int]: ...

    def usage(self) -> tuple[int, int] | None: ...

    def query_pages(self, soqls: list[str]) -> list[dict]: ...

    def query_page(self, soql: str, *, include_deleted: bool) -> dict: ...

    def query_more(self, next_records_url: str) -> dict: ...

    def update(self, records: list[dict]) -> list[dict]: ...

    def retrieve(self, sobject: str, ids: list[str], fields: list[str]) -> list[dict | None]: ...

    def bulk_query(self, sobject: str, soql: str, *, include_deleted: bool) -> Iterator[str]: ...

    def bulk_update(self, sobject: str, csv_path: str, folder: str) -> list[str]: ...


class ClientRemote:
    """`Remote` on the syncer's SalesforceClient. `bulk_wait`: seconds before a job's first poll."""

    def __init__(self, client: SalesforceClient, *, bulk_wait: float = 2.0):
        self.client = client
        self.bulk_wait = bulk_wait

    @property
    def calls(self) -> int:
        return self.client.calls

    def limits(self) -> tuple[int, int]:
        daily = self.client.limits()["DailyApiRequests"]
        return daily["Max"] - daily["Remaining"], daily["Max"]

    def usage(self) -> tuple[int, int] | None:
        return self.client.allocation()

    def query_pages(self, soqls: list[str]) -> list[dict]:
        """The first pages of several queryAll queries in one Composite Batch call."""
        def batch(sf):
            requests = [{"method": "GET", "url": f"v{sf.sf_version}/queryAll/?"
                         + urlencode({"q": soql})} for soql in soqls]
            return sf.restful("composite/batch", method="POST",
                              json={"haltOnError": False, "batchRequests": requests})

        answer = self.client.call("querying Contacts and Leads", batch)
        pages = []
        for soql, item in zip(soqls, answer["results"], strict=True):
            if item["statusCode"] >= 400:
                error = (item.get("result") or [{}])[0]
                raise PermanentError(
                    f"Salesforce refused the query {soql[:80]}... ({error.get('errorCode')}:"
                    f" {error.get('message')})",
                    "check that the chosen opt-out field exists on Contact and Lead and the"
                    " integration user can read it (`syncer doctor` checks this)",
                    code=error.get("errorCode"), status=item["statusCode"])
            pages.append(item["result"])
        return pages

    def query_page(self, soql: str, *, include_deleted: bool) -> dict:
        return self.client.call("querying", lambda sf: sf.query(
            soql, include_deleted=include_deleted))

    def query_more(self, next_records_url: str) -> dict:
        return self.client.call("querying", lambda sf: sf.query_more(
            next_records_url, identifier_is_url=True))

    def update(self, records: list[dict]) -> list[dict]:
        return self.client.collections_update(records)

    def retrieve(self, sobject: str, ids: list[str], fields: list[str]) -> list[dict | None]:
        """Up to 2,000 records by Id in one call (POST, so the Ids need not fit in a URL)."""
        if len(ids) > RETRIEVE_LIMIT:
            raise ValueError(f"retrieve takes at most {RETRIEVE_LIMIT} Ids, not {len(ids)}")
        found = self.client.call(f"reading {sobject} records", lambda sf: sf.restful(
            f"composite/sobjects/{sobject}", method="POST", json={"ids": ids, "fields": fields}))
        return found or [None] * len(ids)

    def bulk_query(self, sobject: str, soql: str, *, include_deleted: bool) -> Iterator[str]:
        """A Bulk API 2.0 query job's result pages, each a CSV text with its header."""
        def start(sf):
            bulk = getattr(sf.bulk2, sobject)
            run = bulk.query_all if include_deleted else bulk.query
            return run(soql, max_records=BULK_PAGE_ROWS, wait=self.bulk_wait)

        pages = self.client.call(f"starting a Bulk API 2.0 {sobject} query", start)
        while True:
            page = self.client.call(f"reading Bulk API 2.0 {sobject} results",
                                    lambda _sf: next(pages, None))
            if page is None:
                return
            yield page

    def bulk_update(self, sobject: str, csv_path: str, folder: str) -> list[str]:
        """Run Bulk API 2.0 update jobs from a CSV file; the paths of their failed-rows CSVs."""
        def run(sf):
            bulk = getattr(sf.bulk2, sobject)
            results = bulk.update(csv_file=csv_path, wait=self.bulk_wait)
            paths = []
            for result in results:
                if int(result["numberRecordsFailed"]):
                    path = os.path.join(folder, f"failed-{result['job_id']}.csv")
                    bulk.get_failed_records(result["job_id"], file=path)
                    paths.append(path)
            return paths

        return self.client.call(f"updating {sobject}s with Bulk API 2.0", run)
