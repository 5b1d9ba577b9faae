"""describe/layouts: an sObject's page layouts as the REST API describes them."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .. import errors
from ..models.layouts import MASTER_RECORD_TYPE
from .context import current_org

bp = Blueprint("layouts", __name__)

BASE = "/services/data/v<version>/sobjects/<sobject>/describe/layouts"


@bp.get(BASE)
def layouts(version: str, sobject: str) -> Response:
    org = current_org()
    return jsonify(org.layouts.describe(sobject, version, org.field_security))


@bp.get(f"{BASE}/<record_type_id>")
def layout_for_record_type(version: str, sobject: str, record_type_id: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    if record_type_id not in (MASTER_RECORD_TYPE, MASTER_RECORD_TYPE[:15]):
        raise errors.NotFound("The requested resource does not exist")
    return jsonify(org.layouts.describe_layout(sobject_type.name, version, org.field_security))
