"""sObject Tree: `POST /services/data/vXX.X/composite/tree/<type>` (models/tree.py)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from ..models.tree import TreeError, create_trees
from .context import current_org

bp = Blueprint("tree", __name__)


@bp.post("/services/data/v<version>/composite/tree/<sobject>")
def create(version: str, sobject: str) -> Response:
    try:
        body = create_trees(current_org(), sobject, request.get_json(silent=True),
                            user_id=g.session.user_id)
    except TreeError as exc:
        response = jsonify(exc.body)
        response.status_code = 400
        return response
    response = jsonify(body)
    response.status_code = 201
    return response
