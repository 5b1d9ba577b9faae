"""What tools read about the org itself: record counts and the Tooling API's sandbox query."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import errors
from ..soql import parse
from .context import current_org

bp = Blueprint("org_objects", __name__)

BASE = "/services/data/v<version>"
# A production org answers the Tooling API's SandboxProcess query (the sf CLI sends it at
# login, to learn whether the new org is a sandbox of one it knows) with no rows.
TOOLING_EMPTY = frozenset({"sandboxprocess"})


@bp.get(f"{BASE}/limits/recordCount")
def record_count(version: str) -> Response:
    """`{"sObjects": [{"count", "name"}]}` for the named types (all of them when none named)."""
    org = current_org()
    wanted = [n.strip() for n in request.args.get("sObjects", "").split(",") if n.strip()]
    names = [org.sobject(n).name for n in wanted if _known(n)] if wanted else list(org.types)
    return jsonify({"sObjects": [{"count": org.count(n), "name": n} for n in names]})


def _known(name: str) -> bool:
    try:
        current_org().sobject(name)
    except errors.NotFound:
        return False  # Salesforce leaves unknown names out of the answer
    return True


@bp.get(f"{BASE}/tooling/query")
def tooling_query(version: str) -> Response:
    soql = request.args.get("q", "")
    if not soql.strip():
        raise errors.MalformedQuery("A query string has to be specified")
    query = parse(soql)
    if query.sobject.lower() not in TOOLING_EMPTY:
        raise errors.InvalidType(
            f"sObject type '{query.sobject}' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please "
            "reference your WSDL or the describe call for the appropriate names.")
    return jsonify({"size": 0, "totalSize": 0, "done": True, "queryLocator": None,
                    "entityTypeName": "SandboxProcess", "records": []})
