"""Reading records for Setup pages: a searched, paginated list and field values for display."""

from __future__ import annotations

from dataclasses import dataclass

from ..models.org import Org
from ..models.schema import Field, SObjectType

PER_PAGE = 25
SEARCHED = ("Name", "Email", "Company")


@dataclass
class Shown:
    """A field value as a record page shows it: text, a link, or a checkbox."""

    text: str
    url: str | None = None
    checked: bool | None = None


def records_page(org: Org, sobject: SObjectType, query: str, page: int) -> tuple[list[dict], int]:
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
            [*params, PER_PAGE, (page - 1) * PER_PAGE],
        ))
    return rows, total


def display_value(org: Org, f: Field, stored: object) -> Shown:
    """How a stored value reads on a page; references show the related record's name."""
    if f.type == "boolean":
        return Shown("Checked" if stored else "Not Checked", checked=bool(stored))
    if stored in (None, ""):
        return Shown("")
    if f.type in ("reference", "id") and isinstance(stored, str):
        target = org.type_for_id(stored)
        if target is None or "Name" not in target.fields:
            return Shown(stored)
        with org.lock:
            found = org.db.execute(f'SELECT "Name" FROM "{target.name}" WHERE Id = ?',
                                   [stored]).fetchone()
        return Shown(found[0] if found and found[0] else stored,
                     url=f"/lightning/r/{target.name}/{stored}/view")
    return Shown(str(stored))
