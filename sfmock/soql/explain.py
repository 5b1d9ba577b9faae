"""`query?explain=`: the query plans Salesforce would weigh for a SOQL query, without running it.

The answer's shape is the REST API's (`plans`: cardinality, fields, leadingOperationType,
notes, relativeCost, sobjectCardinality, sobjectType; plus `sourceQuery`), most selective plan
first. sfmock counts the rows the filter really matches; a filter on an indexed field (Id,
Name, OwnerId, CreatedDate, SystemModstamp, lookups, external IDs, unique fields, Email)
offers an Index plan beside the TableScan, and each unindexed filter field gets the note a
real org writes for it.
"""

from __future__ import annotations

from ..models.org import Org
from ..models.schema import SObjectType
from .compiler import compile_query
from .parser import Comparison, Condition, Junction, Negation, Path, parse

ALWAYS_INDEXED = {"Id", "Name", "OwnerId", "CreatedDate", "SystemModstamp", "RecordTypeId",
                  "Email", "LastModifiedDate"}
UNINDEXED_NOTE = "Not considering filter for optimization because unindexed"


def _filtered(node: Condition | None) -> list[Path]:
    if node is None:
        return []
    if isinstance(node, Junction):
        return [p for item in node.items for p in _filtered(item)]
    if isinstance(node, Negation):
        return _filtered(node.item)
    assert isinstance(node, Comparison)
    return [node.path] if isinstance(node.path, Path) else []


def _indexed(sobject: SObjectType, name: str) -> bool:
    f = sobject.field(name)
    return f is not None and (f.name in ALWAYS_INDEXED or f.type in ("id", "reference")
                              or f.external_id or f.unique)


def explain(org: Org, soql: str) -> dict:
    """The plans of `soql`; MALFORMED_QUERY / INVALID_FIELD as running it would answer."""
    query = parse(soql)
    plan = compile_query(query, org, include_deleted=False, now=org.now())
    sobject = plan.sobject
    with org.lock:
        total = org.count(sobject.name)
        if plan.kind == "records":
            matched = len(org.db.conn.execute(plan.sql, plan.params).fetchall())
        else:
            matched = total
    own = [p.parts[-1] for p in _filtered(query.where) if len(p.parts) == 1]
    indexed = sorted({sobject.field(n).name for n in own if _indexed(sobject, n)})
    unindexed = sorted({sobject.field(n).name for n in own
                        if sobject.field(n) is not None and not _indexed(sobject, n)})
    share = matched / total if total else 0.0
    notes = [{"description": UNINDEXED_NOTE, "fields": [name], "tableEnumOrId": sobject.name}
             for name in unindexed]
    scan = {"cardinality": matched, "fields": [], "leadingOperationType": "TableScan",
            "notes": notes, "relativeCost": round(0.65 + total / 100_000, 4),
            "sobjectCardinality": total, "sobjectType": sobject.name}
    plans = [scan]
    if indexed:
        plans.insert(0, {"cardinality": matched, "fields": indexed,
                         "leadingOperationType": "Index", "notes": notes,
                         "relativeCost": round(share, 4), "sobjectCardinality": total,
                         "sobjectType": sobject.name})
    return {"plans": sorted(plans, key=lambda p: p["relativeCost"]), "sourceQuery": soql}
