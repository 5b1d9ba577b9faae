"""REST entry points: versions, resources, limits and the global describe."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from ..models.bulk1 import DAILY_BATCHES, Bulk1
from ..models.describe import not_modified_since
from ..models.identity import identity_url
from ..versions import listing
from .context import current_org

bp = Blueprint("rest", __name__)


@bp.get("/services/data")
def versions() -> Response:
    return jsonify(listing())


@bp.get("/services/data/v<version>")
def resources(version: str) -> Response:
    base = f"/services/data/v{version}"
    names = ["tooling", "metadata", "eclair", "folders", "prechatForms", "jobs", "composite",
             "query", "queryAll", "search", "sobjects", "limits", "recent", "tabs", "theme"]
    out = {name: f"{base}/{name}" for name in names}
    session = g.get("session")
    if session is not None:  # the caller's identity URL, as the token's `id` names it
        out["identity"] = identity_url(request.host_url, current_org(), session.user_id)
    return jsonify(out)


@bp.get("/services/data/v<version>/limits")
def limits(version: str) -> Response:
    used, maximum = current_org().api_usage()

    def pair(cap: int, spent: int = 0) -> dict:
        return {"Max": cap, "Remaining": cap - spent}

    return jsonify({
        "ConcurrentAsyncGetReportInstances": pair(200),
        "DailyApiRequests": pair(maximum, used),
        "DailyAsyncApexExecutions": pair(250000),
        "DailyBulkApiBatches": pair(DAILY_BATCHES, Bulk1.for_org(current_org()).batches_used()),
        "DailyBulkV2QueryFileStorageMB": pair(976562),
        "DailyBulkV2QueryJobs": pair(10000),
        "DataStorageMB": pair(1024),
        "FileStorageMB": pair(1024),
        "HourlyTimeBasedWorkflow": pair(1000),
        "SingleEmail": pair(5000),
    })


@bp.get("/services/data/v<version>/limits/recordCount")
def record_counts(version: str) -> Response:
    """`{"sObjects": [{"count", "name"}]}` for the types named in `sObjects` (all when absent)."""
    org = current_org()
    wanted = [n.strip() for n in request.args.get("sObjects", "").split(",") if n.strip()]
    types = [t for t in org.types.values()
             if not wanted or t.name.lower() in {n.lower() for n in wanted}]
    return jsonify({"sObjects": [{"count": org.count(t.name), "name": t.name} for t in types]})


@bp.get("/services/data/v<version>/sobjects")
def global_describe(version: str) -> Response:
    org = current_org()
    if not_modified_since(request.headers.get("If-Modified-Since"), org.schema_modified()):
        return Response(status=304)
    return jsonify({
        "encoding": "UTF-8",
        "maxBatchSize": 200,
        "sobjects": [t.summary(version) for t in org.types.values()],
    })
