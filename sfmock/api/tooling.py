"""Tooling API schema changes: `POST tooling/sobjects/CustomObject` and `.../CustomField`."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..models import tooling
from .context import current_org

bp = Blueprint("tooling", __name__)

BASE = "/services/data/v<version>/tooling/sobjects"


@bp.post(f"{BASE}/CustomObject")
def create_custom_object(version: str) -> tuple[Response, int]:
    return jsonify(tooling.create_custom_object(current_org(), request.get_json(silent=True))), 201


@bp.post(f"{BASE}/CustomField")
def create_custom_field(version: str) -> tuple[Response, int]:
    return jsonify(tooling.create_custom_field(current_org(), request.get_json(silent=True))), 201
