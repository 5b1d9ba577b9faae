"""Field values as record pages show them, and the record browser's page size."""

from __future__ import annotations

from dataclasses import dataclass

from ..models.listing import record_name
from ..models.org import Org
from ..models.schema import Field

PER_PAGE = 25


@dataclass
class Shown:
    """A field value as a record page shows it: text, a link, or a checkbox."""

    text: str
    url: str | None = None
    checked: bool | None = None


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
        return Shown(record_name(org, target, stored) or stored,
                     url=f"/lightning/r/{target.name}/{stored}/view")
    return Shown(str(stored))
