"""Relative date literals (TODAY, LAST_N_DAYS:n, THIS_MONTH, ...) as half-open date ranges.

Salesforce evaluates them in the user's time zone; the org's users are in
America/Los_Angeles. Fiscal literals follow the default fiscal year, which starts in January,
so they equal their calendar counterparts.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models.values import format_datetime

ORG_TIME_ZONE = ZoneInfo("America/Los_Angeles")

_FIXED = {"YESTERDAY": (-1, 0), "TODAY": (0, 1), "TOMORROW": (1, 2)}
_UNITS = {"WEEK": "week", "MONTH": "month", "QUARTER": "quarter", "YEAR": "year",
          "FISCAL_QUARTER": "quarter", "FISCAL_YEAR": "year"}
_UNIT_NAMES = "|".join(sorted(_UNITS, key=len, reverse=True))
_THIS_LAST_NEXT = re.compile(rf"^(THIS|LAST|NEXT)_({_UNIT_NAMES})$")
_N_RANGE = re.compile(rf"^(LAST|NEXT)_N_({_UNIT_NAMES})S$")
_N_AGO = re.compile(rf"^N_({_UNIT_NAMES})S_AGO$")
_DAYS = {"LAST_90_DAYS", "NEXT_90_DAYS", "LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO"}


def takes_number(name: str) -> bool:
    """True for literals written `NAME:n`."""
    return "_N_" in name or name.startswith("N_")


def is_relative(name: str) -> bool:
    """True if `name` (upper case) is a relative date literal Salesforce knows."""
    return bool(name in _FIXED or name in _DAYS or _THIS_LAST_NEXT.match(name)
                or _N_RANGE.match(name) or _N_AGO.match(name))


def date_range(name: str, n: int, today: date) -> tuple[date, date]:
    """The dates [start, end) a relative literal covers when the local date is `today`."""
    if name in _FIXED:
        start, end = _FIXED[name]
        return today + timedelta(start), today + timedelta(end)
    if name in _DAYS:
        count = 90 if "90" in name else n
        if name.startswith("LAST"):  # includes today: n + 1 calendar days
            return today - timedelta(count), today + timedelta(1)
        if name.startswith("NEXT"):  # starts tomorrow
            return today + timedelta(1), today + timedelta(1 + count)
        return today - timedelta(count), today - timedelta(count - 1)
    if match := _THIS_LAST_NEXT.match(name):
        shift = {"THIS": 0, "LAST": -1, "NEXT": 1}[match.group(1)]
        unit = _UNITS[match.group(2)]
        return _period(today, unit, shift), _period(today, unit, shift + 1)
    if match := _N_RANGE.match(name):
        unit = _UNITS[match.group(2)]
        if match.group(1) == "LAST":  # the n whole periods before the current one
            return _period(today, unit, -n), _period(today, unit, 0)
        return _period(today, unit, 1), _period(today, unit, 1 + n)
    match = _N_AGO.match(name)
    if match is None:
        raise ValueError(f"not a relative date literal: {name}")
    unit = _UNITS[match.group(1)]
    return _period(today, unit, -n), _period(today, unit, 1 - n)


def _period(today: date, unit: str, shift: int) -> date:
    """The first day of the period `shift` periods away from the one holding `today`."""
    if unit == "week":  # weeks start on Sunday (United States locale)
        sunday = today - timedelta((today.weekday() + 1) % 7)
        return sunday + timedelta(7 * shift)
    months = {"month": 1, "quarter": 3, "year": 12}[unit]
    first = (today.month - 1) // months * months
    index = today.year * 12 + first + shift * months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date) -> str:
    """The stored (UTC wire) form of 00:00 on `day` in the org's time zone."""
    return format_datetime(datetime.combine(day, time(), ORG_TIME_ZONE))


def local_today(now: datetime) -> date:
    return now.astimezone(ORG_TIME_ZONE).date()
