"""SOSL search and Parameterized Search.

Routes only parse and serialise: the work is in `sfmock.sosl`.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import errors
from ..sosl import parameterized, response, search
from ..sosl.parser import NO_TERM
from .context import current_org

bp = Blueprint("search", __name__)

BASE = "/services/data/v<version>"
PARAMETERIZED_SINCE = 36.0


@bp.get(f"{BASE}/search/")
def sosl(version: str) -> Response:
    text = request.args.get("q", "")
    if not text.strip():
        raise errors.MalformedSearch(NO_TERM)
    return _answer(text, version)


@bp.get(f"{BASE}/parameterizedSearch/")
def parameterized_get(version: str) -> Response:
    _check_version(version)
    return _answer(parameterized.from_query_string(request.args.to_dict(flat=False)), version)


@bp.post(f"{BASE}/parameterizedSearch/")
def parameterized_post(version: str) -> Response:
    _check_version(version)
    body = request.get_json(silent=True)
    if body is None:
        raise errors.JsonParserError('The request body is not JSON: send {"q": "Acme"}')
    return _answer(parameterized.from_body(body), version)


def _check_version(version: str) -> None:
    if float(version) < PARAMETERIZED_SINCE:
        raise errors.NotFound("The requested resource does not exist")


def _answer(sosl_text: str, version: str) -> Response:
    return jsonify(response(search(current_org(), sosl_text, version=version), version))
