"""SQLite functions behind SOQL's date functions (CALENDAR_YEAR, DAY_ONLY, ...).

Per the SOQL reference ("Date Functions"), date functions read dateTime values in UTC unless
the field is wrapped in convertTimezone(), which converts to the user's time zone first.
The default fiscal year starts in January and is named for the calendar year it ends in, so
FISCAL_* equal their CALENDAR_* counterparts.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime

from .literals import ORG_TIME_ZONE

DATE_PART = "soql_date_part"

_PARTS = {
    "CALENDAR_YEAR": lambda d: d.year,
    "FISCAL_YEAR": lambda d: d.year,
    "CALENDAR_MONTH": lambda d: d.month,
    "FISCAL_MONTH": lambda d: d.month,
    "CALENDAR_QUARTER": lambda d: (d.month - 1) // 3 + 1,
    "FISCAL_QUARTER": lambda d: (d.month - 1) // 3 + 1,
    "DAY_IN_MONTH": lambda d: d.day,
    "DAY_IN_WEEK": lambda d: d.isoweekday() % 7 + 1,  # 1 is Sunday, 7 is Saturday
    "DAY_IN_YEAR": lambda d: d.timetuple().tm_yday,
    "WEEK_IN_MONTH": lambda d: (d.day - 1) // 7 + 1,  # days 1-7 are week 1
    "WEEK_IN_YEAR": lambda d: (d.timetuple().tm_yday - 1) // 7 + 1,  # from January 1
    "DAY_ONLY": lambda d: d.isoformat(),
}


def date_part(name: str, value: str | None, local: int) -> object:
    """The value of date function `name` for a stored date or dateTime (UTC wire form)."""
    if value is None:
        return None
    if len(value) == 10:
        return _PARTS[name](date.fromisoformat(value))
    moment = datetime.fromisoformat(value)
    if local:
        moment = moment.astimezone(ORG_TIME_ZONE)
    if name == "HOUR_IN_DAY":
        return moment.hour
    return _PARTS[name](moment.date())


def register(conn: sqlite3.Connection) -> None:
    """Make the SOQL functions callable from SQL on `conn`."""
    conn.create_function(DATE_PART, 3, date_part, deterministic=True)
