"""A Bulk API 2.0 query job's result bytes, pinned: quoting, empty and null cells, checkboxes,
UTC datetimes, non-ASCII text, every delimiter and line ending, and pages cut at row starts
(byte offsets, so a multi-byte character never splits a page). The rows are written a chunk at
a time; this pins them to the cell-by-cell writing they replaced."""

from __future__ import annotations

import time

import pytest

from sfmock.models import bulk2

SOQL = ("SELECT Id, LastName, Email, Title, HasOptedOutOfEmail, CreatedDate FROM Contact"
        " WHERE LastName LIKE 'Bytes%' ORDER BY LastName")
PEOPLE = [
    {"LastName": 'Bytes "quoted", with a comma', "Email": "a@example.com", "Title": "",
     "HasOptedOutOfEmail": True},
    {"LastName": "Bytes line\nbreak and Zoë, 日本", "Email": None, "Title": "CEO; ^`|\t"},
    {"LastName": "Bytes plain", "Email": "c@example.com", "Title": None},
]


def expected(org, ids: list[str], delimiter: str = ",", end: str = "\n") -> list[str]:
    """The rows as Salesforce writes them: every cell quoted, quotes doubled."""
    lines = []
    for record_id in ids:
        row = org.get("Contact", record_id)
        cells = [record_id, row["LastName"], row["Email"] or "", row["Title"] or "",
                 "true" if row["HasOptedOutOfEmail"] else "false",
                 row["CreatedDate"].replace("+0000", "Z")]
        lines.append(delimiter.join('"' + c.replace('"', '""') + '"' for c in cells) + end)
    return lines


def run_job(raw, **spec) -> str:
    job = raw.call("POST", "jobs/query", json={"operation": "query", "query": SOQL,
                                              **spec}).json()
    assert raw.wait("query", job["id"])["state"] == "JobComplete"
    return job["id"]


@pytest.fixture
def people(org) -> list[str]:
    return [org.insert("Contact", data) for data in PEOPLE]


@pytest.mark.parametrize("delimiter, end", [("COMMA", "LF"), ("TAB", "CRLF"), ("PIPE", "LF"),
                                            ("SEMICOLON", "CRLF"), ("CARET", "LF"),
                                            ("BACKQUOTE", "LF")])
def test_a_result_page_is_quoted_cell_by_cell_in_the_jobs_dialect(raw, org, people, delimiter,
                                                                  end):
    job = run_job(raw, columnDelimiter=delimiter, lineEnding=end)
    body = raw.call("GET", f"jobs/query/{job}/results").content
    sep, newline = bulk2.DELIMITERS[delimiter], bulk2.LINE_ENDINGS[end]
    header = sep.join(f'"{name}"' for name in ("Id", "LastName", "Email", "Title",
                                                "HasOptedOutOfEmail", "CreatedDate"))
    assert body.decode("utf-8") == header + newline + "".join(
        expected(org, people, sep, newline))


def test_pages_of_one_row_cut_at_row_starts_in_bytes(raw, org, people):
    job = run_job(raw)
    rows, locator = [], ""
    while locator != "null":
        params = {"maxRecords": 1, **({"locator": locator} if locator else {})}
        page = raw.call("GET", f"jobs/query/{job}/results", params=params)
        assert page.headers["Sforce-NumberOfRecords"] == "1"
        rows.append(page.content.decode("utf-8").split("\n", 1)[1])
        locator = page.headers["Sforce-Locator"]
    assert rows == expected(org, people)


def test_a_large_job_writes_the_bytes_the_cell_by_cell_writer_wrote(org):
    """Several chunks (CHUNK_ROWS) of rows with non-ASCII text, against the writer it replaced."""
    for i in range(bulk2.CHUNK_ROWS * 2 + 7):
        org.insert("Contact", {"LastName": f"Bytes {i:05} Zoë", "Email": f"z{i}@example.com",
                               "HasOptedOutOfEmail": i % 3 == 0})
    jobs = bulk2.Bulk2.for_org(org)
    info = jobs.create_query({"operation": "query", "query": SOQL},
                             user_id=org.integration_user_id(), version="59.0")
    job = jobs.get(info["id"], "query")
    deadline = time.monotonic() + 10
    while job.state != "JobComplete" and time.monotonic() < deadline:
        time.sleep(0.01)
    chunks, count, _ = jobs.query_page(job, None, None)
    plan = jobs._plan(SOQL, False)
    columns = bulk2.query_columns(plan.shape)
    reference = bulk2._CsvFile("COMMA", "LF")
    lines = [reference.render([name for name, _, _ in columns])]
    for rows in bulk2.iter_query_rows(org, plan):
        lines += [reference.render([bulk2.csv_value(kind, row[index])
                                    for _, index, kind in columns]) for row in rows]
    assert b"".join(chunks) == b"".join(lines) and count == len(lines) - 1
    middle = count // 2  # a page starting mid-job starts at its row
    page, _, _ = jobs.query_page(job, bulk2._encode_locator(middle), 1)
    assert b"".join(page) == lines[0] + lines[middle + 1]
