"""Lists of records to look through: recently modified ones, a searched page, a record's name."""

from __future__ import annotations

from .org import Org
from .schema import SObjectType

SEARCHED = ("Name", "Email", "Company")


def recently_modified(org: Org, sobject: SObjectType, limit: int) -> list[dict]:
    """The live records of a type modified last, newest first."""
    with org.lock:
        return list(org.db.execute_returning_dicts(
            f'SELECT * FROM "{sobject.name}" WHERE IsDeleted = 0 '
            "ORDER BY LastModifiedDate DESC LIMIT ?", [limit]
        ))


def records_page(org: Org, sobject: SObjectType, query: str, page: int,
                 per_page: int) -> tuple[list[dict], int]:
    """Live records matching `query` in name, email or company, by name: one page and the total."""
    where, params = "IsDeleted = 0", []
    searched = [n for n in SEARCHED if n in sobject.fields]
    if query and searched:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where += " AND (" + " OR ".join(f'"{n}" LIKE ? ESCAPE \'\\\'' for n in searched) + ")"
        params = [like] * len(searched)
    order = '"Name", "Id"' if "Name" in sobject.fields else '"Id"'
    with org.lock:
        total = org.db.execute(f'SELECT count(*) FROM "{sobject.name}" WHERE {where}',
                               params).fetchone()[0]
        rows = list(org.db.query(
            f'SELECT * FROM "{sobject.name}" WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?',
            [*params, per_page, (page - 1) * per_page],
        ))
    return rows, total


def record_name(org: Org, sobject: SObjectType, record_id: str) -> str | None:
    """The Name of a record (deleted or not), or None when it has none or does not exist."""
    with org.lock:
        found = org.db.execute(f'SELECT "Name" FROM "{sobject.name}" WHERE Id = ?',
                               [record_id]).fetchone()
    return found[0] if found and found[0] else None
