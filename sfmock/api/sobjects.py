"""sObject describe and single-record create, read, update, delete and upsert."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from flask import Blueprint, Response, g, jsonify, request

from .. import errors
from ..models import listing
from ..models.describe import describe_sobject, not_modified_since
from ..models.org import Org
from ..models.schema import SObjectType
from .context import current_org

bp = Blueprint("sobjects", __name__)

BASE = "/services/data/v<version>/sobjects/<sobject>"
RECENT_ITEMS = 5  # the recentItems of a type's basic information


def json_body() -> dict:
    """The request's JSON object, or the JSON_PARSER_ERROR Salesforce answers."""
    return json_object(request.get_json(silent=True))


def json_object(data: object) -> dict:
    """A parsed request body (None when it was not JSON) if it is an object, else the
    JSON_PARSER_ERROR Salesforce answers."""
    if not isinstance(data, dict):
        raise errors.JsonParserError(
            "The request body is not a JSON object: send a JSON object of field values"
        )
    return data


def _user_id() -> str:
    return g.session.user_id


@bp.get(BASE)
def basic_info(version: str, sobject: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    recent = [org.to_api(sobject_type, row, version, ["Id", "Name"])
              for row in listing.recently_modified(org, sobject_type, RECENT_ITEMS)]
    return jsonify({"objectDescribe": sobject_type.summary(version), "recentItems": recent})


@bp.get(f"{BASE}/describe")
def describe(version: str, sobject: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    if not_modified_since(request.headers.get("If-Modified-Since"), org.schema_modified()):
        return Response(status=304)
    return jsonify(describe_sobject(org.types, sobject_type, version, org.field_security,
                                    request.host_url))


@bp.post(BASE)
def create(version: str, sobject: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    data = json_body()
    if any(k.lower() == "id" for k in data):
        raise errors.InvalidFieldForInsertUpdate(
            "Unable to create/update fields: Id. Please check the security settings of this "
            "field and verify that it is read/write for your profile or permission set.", ["Id"]
        )
    record_id = org.insert(sobject_type.name, data, user_id=_user_id())
    response = jsonify({"id": record_id, "success": True, "errors": []})
    response.status_code = 201
    response.headers["Location"] = f"/services/data/v{version}/sobjects/{sobject_type.name}/{record_id}"
    return response


@bp.get(f"{BASE}/<record_id>")
def read(version: str, sobject: str, record_id: str) -> Response:
    return jsonify(read_record(current_org(), version, sobject, record_id, _fields_param))


def read_record(org: Org, version: str, sobject: str, record_id: str,
                fields: Callable[[SObjectType], list[str] | None] | None = None) -> dict:
    """One record as GET sobjects/<type>/<id> answers it (`fields` reads the fields asked
    for; sfmock/hot_routes.py serves the call without it)."""
    sobject_type = org.sobject(sobject)
    chosen = fields(sobject_type) if fields else None
    row = org.get(sobject_type.name, record_id)
    return org.to_api(sobject_type, row, version, chosen)


def _fields_param(sobject: SObjectType) -> list[str] | None:
    raw = request.args.get("fields")
    if not raw:
        return None
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        f = sobject.field(name)
        if f is None or not current_org().field_security.readable(sobject, f):
            raise errors.InvalidField(
                f"No such column '{name}' on entity '{sobject.name}'. If you are attempting to "
                "use a custom field, be sure to append the '__c' after the custom field name. "
                "Please reference your WSDL or the describe call for the appropriate names."
            )
    return names


@bp.patch(f"{BASE}/<record_id>")
def update(version: str, sobject: str, record_id: str) -> Response:
    update_record(current_org(), sobject, record_id, json_body, _user_id())
    return Response(status=204)


def update_record(org: Org, sobject: str, record_id: str, body: Callable[[], dict],
                  user_id: str) -> None:
    """PATCH sobjects/<type>/<id>: the type is looked up before `body` reads the request's
    fields (an unknown type is NOT_FOUND whatever the body); sfmock/hot_routes.py shares it."""
    sobject_type = org.sobject(sobject)
    org.update(sobject_type.name, record_id, body(), user_id=user_id)


@bp.delete(f"{BASE}/<record_id>")
def delete(version: str, sobject: str, record_id: str) -> Response:
    org = current_org()
    org.delete(org.sobject(sobject).name, record_id)
    return Response(status=204)


def _external_value() -> str:
    """The external-ID value from the raw path: Werkzeug would decode %2F before routing."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.path
    path = raw.split("?", 1)[0]
    segment = path.rstrip("/").rsplit("/", 1)[-1]
    return unquote(segment.replace("+", " "))


@bp.get(f"{BASE}/<field_name>/<path:value>")
def read_by_external_id(version: str, sobject: str, field_name: str, value: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    rows = org.find_by_external_id(sobject_type.name, field_name, _external_value())
    if not rows:
        raise errors.NotFound("The requested resource does not exist")
    if len(rows) > 1:
        return _multiple_choices(version, sobject_type, rows)
    return jsonify(org.to_api(sobject_type, rows[0], version, _fields_param(sobject_type)))


@bp.patch(f"{BASE}/<field_name>/<path:value>")
def upsert(version: str, sobject: str, field_name: str, value: str) -> Response:
    org = current_org()
    sobject_type = org.sobject(sobject)
    result = org.upsert(sobject_type.name, field_name, _external_value(), json_body(),
                        user_id=_user_id())
    if result.get("matches"):
        return _multiple_choices(version, sobject_type, result["matches"])
    body = {"id": result["id"], "success": True, "errors": [], "created": result["created"]}
    response = jsonify(body)
    response.status_code = 201 if result["created"] else 200
    if result["created"]:
        response.headers["Location"] = (
            f"/services/data/v{version}/sobjects/{sobject_type.name}/{result['id']}"
        )
    return response


def _multiple_choices(version: str, sobject: SObjectType, rows: list[dict]) -> Response:
    response = jsonify([f"/services/data/v{version}/sobjects/{sobject.name}/{r['Id']}" for r in rows])
    response.status_code = 300
    return response
