"""Date functions in WHERE, GROUP BY and SELECT, and the relative date literals, as the SOQL
reference describes them ("Date Functions": UTC unless the field is wrapped in
convertTimezone(); "Date Formats and Date Literals").
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sfmock.models.values import format_datetime
from sfmock.soql import functions


def stamp(org, last_name: str, moment: datetime) -> str:
    """A Contact created at `moment` (written straight to the table: the storage contract)."""
    record_id = org.insert("Contact", {"LastName": last_name})
    text = format_datetime(moment)
    with org.lock:
        org.db["Contact"].update(record_id, {"CreatedDate": text, "SystemModstamp": text})
    return record_id


@pytest.fixture
def stamped(clocked_org) -> dict[str, str]:
    # Sunday 2026-03-01 06:30Z is still Saturday 2026-02-28 22:30 in Los Angeles (PST).
    return {
        "sunday": stamp(clocked_org, "Sunday", datetime(2026, 3, 1, 6, 30, tzinfo=UTC)),
        "newyear": stamp(clocked_org, "NewYear", datetime(2025, 1, 1, 12, 0, tzinfo=UTC)),
        "summer": stamp(clocked_org, "Summer", datetime(2026, 7, 15, 23, 5, tzinfo=UTC)),
    }


@pytest.mark.parametrize(("function", "utc", "local"), [
    ("CALENDAR_YEAR", 2026, 2026),
    ("CALENDAR_MONTH", 3, 2),
    ("CALENDAR_QUARTER", 1, 1),
    ("FISCAL_YEAR", 2026, 2026),
    ("FISCAL_MONTH", 3, 2),
    ("FISCAL_QUARTER", 1, 1),
    ("DAY_IN_MONTH", 1, 28),
    ("DAY_IN_WEEK", 1, 7),  # 1 is Sunday, 7 is Saturday
    ("DAY_IN_YEAR", 60, 59),
    ("HOUR_IN_DAY", 6, 22),
    ("WEEK_IN_MONTH", 1, 4),
    ("WEEK_IN_YEAR", 9, 9),
    ("DAY_ONLY", "2026-03-01", "2026-02-28"),
])
def test_each_function_reads_utc_unless_converted(csf, stamped, function, utc, local):
    def value(expression: str) -> object:
        [row] = csf.query(f"SELECT {expression} v FROM Contact WHERE LastName = 'Sunday' "
                          f"GROUP BY {expression}")["records"]
        return row["v"]

    assert value(f"{function}(CreatedDate)") == utc
    assert value(f"{function}(convertTimezone(CreatedDate))") == local


def test_date_functions_filter_in_where(csf, stamped):
    def names(where: str) -> set[str]:
        return {r["LastName"] for r in csf.query_all(
            f"SELECT LastName FROM Contact WHERE {where}")["records"]}

    assert names("CALENDAR_YEAR(CreatedDate) = 2025") == {"NewYear"}
    assert names("CALENDAR_MONTH(CreatedDate) IN (3, 7) AND CALENDAR_YEAR(CreatedDate) = 2026") \
        >= {"Sunday", "Summer"}
    assert names("DAY_ONLY(convertTimezone(CreatedDate)) = 2026-02-28") == {"Sunday"}
    assert "Sunday" not in names("DAY_ONLY(CreatedDate) < 2026-03-01")
    assert names("HOUR_IN_DAY(convertTimezone(CreatedDate)) = 16") == {"Summer"}


def test_group_by_a_date_function_with_the_expr_name(csf, clocked_org, stamped):
    rows = csf.query("SELECT CALENDAR_YEAR(CreatedDate), COUNT(Id) FROM Contact "
                     "GROUP BY CALENDAR_YEAR(CreatedDate) ORDER BY CALENDAR_YEAR(CreatedDate)")
    years = [(r["expr0"], r["expr1"]) for r in rows["records"]]
    assert years[0] == (2025, 1)
    assert sum(n for _, n in years) == clocked_org.count("Contact")


def test_date_functions_on_a_date_field(clocked_org, csf):
    lead = csf.Lead.create({"LastName": "Dated", "Company": "Co"})["id"]
    clocked_org.convert_lead(lead)  # ConvertedDate 2026-11-25
    rows = csf.query("SELECT CALENDAR_MONTH(ConvertedDate) m, COUNT(Id) FROM Lead "
                     "WHERE ConvertedDate != null GROUP BY CALENDAR_MONTH(ConvertedDate)")
    converted = [r for r in clocked_org.records("Lead") if r["ConvertedDate"]]
    assert [(r["m"], r["expr0"]) for r in rows["records"]] == [(11, len(converted))]


@pytest.mark.parametrize(("soql", "ending"), [
    ("SELECT Id FROM Contact WHERE CALENDAR_YEAR(LastName) = 2026",
     "CALENDAR_YEAR needs a date or dateTime field, and LastName is of type string"),
    ("SELECT Id FROM Lead WHERE HOUR_IN_DAY(ConvertedDate) = 1",
     "HOUR_IN_DAY needs a dateTime field, and ConvertedDate is of type date"),
    ("SELECT Id FROM Contact WHERE convertTimezone(CreatedDate) > 2026-01-01T00:00:00Z",
     "convertTimezone() can only be used inside a date function"),
    ("SELECT CALENDAR_YEAR(CreatedDate) FROM Contact",
     "Field must be grouped or aggregated: CALENDAR_YEAR(CreatedDate)"),
])
def test_misused_date_functions_are_refused(csf, soql, ending):
    with pytest.raises(SalesforceMalformedRequest) as failure:
        csf.query(soql)
    assert failure.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    assert failure.value.content[0]["message"].endswith("\n" + ending)


def test_the_function_itself_on_stored_forms():
    assert functions.date_part("DAY_IN_WEEK", "2026-11-28", 0) == 7  # a Saturday
    assert functions.date_part("WEEK_IN_YEAR", "2026-01-07", 0) == 1
    assert functions.date_part("WEEK_IN_YEAR", "2026-01-08", 0) == 2
    assert functions.date_part("CALENDAR_YEAR", None, 0) is None


# -- relative date literals: every family the reference lists ---------------------------------


@pytest.mark.parametrize(("literal", "has_summer"), [
    ("THIS_YEAR", True), ("LAST_YEAR", False), ("NEXT_YEAR", False),
    ("THIS_FISCAL_YEAR", True), ("LAST_FISCAL_QUARTER", True), ("THIS_QUARTER", False),
    ("N_MONTHS_AGO:4", True), ("N_QUARTERS_AGO:1", True), ("N_FISCAL_QUARTERS_AGO:1", True),
    ("LAST_N_MONTHS:4", True), ("LAST_N_MONTHS:3", False), ("NEXT_N_MONTHS:3", False),
    ("LAST_N_QUARTERS:2", True), ("LAST_N_FISCAL_YEARS:1", False), ("N_YEARS_AGO:0", True),
    ("LAST_N_WEEKS:20", True), ("N_WEEKS_AGO:19", True), ("N_DAYS_AGO:133", True),
])
def test_relative_literals(csf, stamped, literal, has_summer):
    # The clock reads Wednesday 2026-11-25 noon in Los Angeles; Summer is 2026-07-15 16:05 there.
    found = {r["LastName"] for r in csf.query_all(
        f"SELECT LastName FROM Contact WHERE CreatedDate = {literal}")["records"]}
    assert ("Summer" in found) is has_summer
