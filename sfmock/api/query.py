"""SOQL query, queryAll and queryMore, and the replication calls getUpdated / getDeleted.

Routes only parse and serialise: the work is in `sfmock.soql` and `sfmock.models.replication`.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request

from .. import errors
from ..models import replication
from ..soql import QueryEngine
from ..soql.columns import column_metadata
from ..soql.explain import explain
from ..soql.render import RecordsJson, page_json
from .context import current_org

bp = Blueprint("query", __name__)

BASE = "/services/data/v<version>"
BATCH_SIZE = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


def _batch_size() -> int | None:
    """The `Sforce-Query-Options: batchSize=N` request header, if any."""
    match = BATCH_SIZE.search(request.headers.get("Sforce-Query-Options", ""))
    return int(match.group(1)) if match else None


def _run(version: str, include_deleted: bool) -> Response:
    if "explain" in request.args and "q" not in request.args:
        soql = request.args["explain"]
        if not soql.strip():
            raise errors.MalformedQuery("An explain query string has to be specified")
        return jsonify(explain(current_org(), soql))
    soql = request.args.get("q", "")
    if not soql.strip():
        raise errors.MalformedQuery("A query string has to be specified")
    if request.args.get("columns", "").lower() == "true":  # the sf CLI's column metadata
        return jsonify(column_metadata(soql, current_org()))
    engine = QueryEngine.for_org(current_org())
    return _page(engine.query(soql, include_deleted=include_deleted, batch_size=_batch_size(),
                              version=version, as_json=True))


def _page(page: dict) -> Response:
    """A query page as `jsonify` writes it; records already written as JSON are spliced in."""
    if isinstance(page.get("records"), RecordsJson):
        return Response(page_json(page), mimetype="application/json")
    return jsonify(page)


@bp.get(f"{BASE}/query/")
def query(version: str) -> Response:
    return _run(version, include_deleted=False)


@bp.get(f"{BASE}/queryAll/")
def query_all(version: str) -> Response:
    return _run(version, include_deleted=True)


@bp.get(f"{BASE}/query/<locator>")
@bp.get(f"{BASE}/queryAll/<locator>")
def query_more(version: str, locator: str) -> Response:
    engine = QueryEngine.for_org(current_org())
    return _page(engine.query_more(locator, version=version, as_json=True))


@bp.get(f"{BASE}/sobjects/<sobject>/updated/")
def updated(version: str, sobject: str) -> Response:
    args = request.args
    return jsonify(replication.get_updated(current_org(), sobject, args.get("start", ""),
                                           args.get("end", "")))


@bp.get(f"{BASE}/sobjects/<sobject>/deleted/")
def deleted(version: str, sobject: str) -> Response:
    args = request.args
    return jsonify(replication.get_deleted(current_org(), sobject, args.get("start", ""),
                                           args.get("end", "")))
