"""Where a Contact or Lead ID went: converted Leads and merged-away records, one step at a time."""

from __future__ import annotations

from dataclasses import dataclass

from simple_salesforce import format_soql

from ..salesforce import COLLECTION_LIMIT, SalesforceClient


@dataclass(frozen=True)
class Move:
    """Where a Contact/Lead ID points now. state: live, moved, deleted or missing."""

    state: str
    target: str | None
    why: str


def follow_records(client: SalesforceClient, ids: list[str]) -> dict[str, Move]:
    """One step of where each Contact/Lead ID went (queryAll, so deleted records are seen).

    A converted Lead moved to its ConvertedContactId, a merged-away record to its
    MasterRecordId; a longer chain is followed one push at a time.
    """
    found = _lookup(client, sorted(set(ids)))
    moves: dict[str, Move] = {}
    for sfid in ids:
        row = found.get(sfid)
        if row is None:
            moves[sfid] = Move("missing", None, "was not found, even in the Recycle Bin")
        elif row.get("IsConverted") and row.get("ConvertedContactId"):
            contact = row["ConvertedContactId"]
            moves[sfid] = Move("moved", contact, f"Lead {sfid} was converted to Contact {contact}")
        elif row.get("MasterRecordId"):
            master = row["MasterRecordId"]
            moves[sfid] = Move("moved", master, f"{sfid} was merged into {master}")
        elif row.get("IsDeleted"):
            moves[sfid] = Move("deleted", None, "was deleted (it is in the Recycle Bin)")
        else:
            moves[sfid] = Move("live", sfid, "is live")
    return moves


def _lookup(client: SalesforceClient, ids: list[str]) -> dict[str, dict]:
    """The rows (deleted ones too) of these Contact and Lead IDs, by ID."""
    rows: dict[str, dict] = {}
    for sobject, prefix, extra in (("Contact", "003", ""),
                                   ("Lead", "00Q", ", IsConverted, ConvertedContactId")):
        chosen = [sfid for sfid in ids if sfid.startswith(prefix)]
        for start in range(0, len(chosen), COLLECTION_LIMIT):
            soql = format_soql(f"SELECT Id, IsDeleted, MasterRecordId{extra} FROM {sobject}"
                               " WHERE Id IN {ids}", ids=chosen[start:start + COLLECTION_LIMIT])
            for row in client.query_all_iter(soql, include_deleted=True):
                rows[row["Id"]] = row
    return rows
