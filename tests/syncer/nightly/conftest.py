"""Fixtures for the nightly sync: a store, an org in-process, and the run's Salesforce side."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from simple_salesforce import Salesforce

from sfmock import mock_salesforce
from sfmock.testing import PASSWORD, TOKEN, USERNAME
from syncer.store import Store

LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


class SimpleSalesforceRemote:
    """The nightly run's Salesforce side over an unmodified simple-salesforce client."""

    def __init__(self, sf: Salesforce):
        self.sf = sf
        self.calls = 0
        self._usage = None
        sf.session.hooks["response"].append(self._count)

    def _count(self, response, *args, **kwargs):
        if "/services/data/" in response.url:
            self.calls += 1
            match = LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
            if match:
                self._usage = (int(match.group(1)), int(match.group(2)))

    def limits(self):
        daily = self.sf.limits()["DailyApiRequests"]
        return daily["Max"] - daily["Remaining"], daily["Max"]

    def usage(self):
        return self._usage

    def query_page(self, soql, *, include_deleted):
        return self.sf.query(soql, include_deleted=include_deleted)

    def query_pages(self, soqls):
        """First pages of several queryAll queries in one Composite Batch call."""
        version = self.sf.sf_version
        body = {"haltOnError": False, "batchRequests": [
            {"method": "GET", "url": f"v{version}/queryAll/?{urlencode({'q': q})}"}
            for q in soqls]}
        answer = self.sf.restful("composite/batch", method="POST", json=body)
        pages = []
        for item in answer["results"]:
            if item["statusCode"] >= 400:
                error = item["result"][0]
                raise RuntimeError(f"{error['errorCode']}: {error['message']}")
            pages.append(item["result"])
        return pages

    def query_more(self, next_records_url):
        return self.sf.query_more(next_records_url, identifier_is_url=True, include_deleted=True)

    def update(self, records):
        return self.sf.restful("composite/sobjects", method="PATCH",
                               json={"allOrNone": False, "records": records})

    def retrieve(self, sobject, ids, fields):
        return self.sf.restful(f"composite/sobjects/{sobject}", method="POST",
                               json={"ids": ids, "fields": fields})

    def bulk_query(self, sobject, soql, *, include_deleted):
        bulk = getattr(self.sf.bulk2, sobject)
        method = bulk.query_all if include_deleted else bulk.query
        yield from method(soql, max_records=50_000, wait=0)

    def bulk_update(self, sobject, csv_path, failures_path):
        bulk = getattr(self.sf.bulk2, sobject)
        results = bulk.update(csv_file=csv_path, batch_size=100_000, wait=0)
        with open(failures_path, "w") as out:
            for i, result in enumerate(results):
                text = bulk.get_failed_records(result["job_id"])
                lines = text.splitlines(keepends=True)
                out.writelines(lines if i == 0 else lines[1:])
        return sum(int(r["numberRecordsProcessed"]) for r in results)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "syncer.db") as store:
        store.update_settings(nightly_sync=True)
        yield store


@pytest.fixture
def sforg():
    """An in-process org with the integration user and no records."""
    with mock_salesforce(fixtures=None) as org:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        yield org


@pytest.fixture
def remote(sforg):
    sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
    return SimpleSalesforceRemote(sf)


class Clock:
    """A settable clock shared by an org and a store."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock(datetime(2026, 11, 28, 4, 0, tzinfo=UTC))


@pytest.fixture
def clocked(clock, tmp_path):
    """(org, store, remote) sharing `clock`."""
    with mock_salesforce(fixtures=None, clock=clock) as org, \
            Store(tmp_path / "clocked.db", clock=clock) as store:
        org.add_user(USERNAME, PASSWORD, TOKEN, last_name="Integration")
        sf = Salesforce(username=USERNAME, password=PASSWORD, security_token=TOKEN)
        yield org, store, SimpleSalesforceRemote(sf)
