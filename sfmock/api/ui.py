"""An org's user-interface resources over REST: compact layouts, quick actions and list views of
an object; the app's tabs, theme and recently viewed records."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import errors
from ..models import ui_resources
from ..soql import listviews
from .auth import instance_url
from .context import current_org

bp = Blueprint("ui", __name__)

BASE = "/services/data/v<version>"
SOBJECT = f"{BASE}/sobjects/<sobject>"


def _int_arg(name: str, default: int) -> int:
    try:
        return int(request.args.get(name, default))
    except ValueError:
        raise errors.MalformedQuery(f"{name} must be a whole number, e.g. {default}") from None


@bp.get(f"{SOBJECT}/describe/compactLayouts")
def compact_layouts(version: str, sobject: str) -> Response:
    org = current_org()
    return jsonify(ui_resources.compact_layouts(org, org.sobject(sobject), version))


@bp.get(f"{SOBJECT}/quickActions")
def quick_actions(version: str, sobject: str) -> Response:
    return jsonify(ui_resources.quick_actions(current_org().sobject(sobject), version))


@bp.get(f"{SOBJECT}/listviews")
def list_views(version: str, sobject: str) -> Response:
    org = current_org()
    return jsonify(listviews.listing(org, org.sobject(sobject), version))


@bp.get(f"{SOBJECT}/listviews/<view_id>")
def list_view(version: str, sobject: str, view_id: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    view = listviews.find(org, sobject_type, view_id)
    [entry] = [e for e in listviews.listing(org, sobject_type, version)["listviews"]
               if e["id"] == view.id]
    return jsonify(entry)


@bp.get(f"{SOBJECT}/listviews/<view_id>/describe")
def list_view_describe(version: str, sobject: str, view_id: str) -> Response:
    org = current_org()
    return jsonify(listviews.describe(org, listviews.find(org, org.sobject(sobject), view_id)))


@bp.get(f"{SOBJECT}/listviews/<view_id>/results")
def list_view_results(version: str, sobject: str, view_id: str) -> Response:
    org = current_org()
    view = listviews.find(org, org.sobject(sobject), view_id)
    return jsonify(listviews.results(org, view, version, limit=_int_arg("limit", 25),
                                     offset=_int_arg("offset", 0)))


@bp.get(f"{BASE}/recent")
def recent(version: str) -> Response:
    return jsonify(ui_resources.recent(current_org(), version, limit=_int_arg("limit", 200)))


@bp.get(f"{BASE}/tabs")
def tabs(version: str) -> Response:
    return jsonify(ui_resources.tabs(current_org(), instance_url()))


@bp.get(f"{BASE}/theme")
def theme(version: str) -> Response:
    return jsonify(ui_resources.theme(current_org(), instance_url()))
