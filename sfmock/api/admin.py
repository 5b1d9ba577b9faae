"""The emulator's own admin API under /sfmock/api: for test harnesses, not a Salesforce API.

Every call needs the header `X-Sfmock-Admin-Key: <org.meta["admin_key"]>` (`sfmock serve`
prints it); no Salesforce session is needed and no call counts against the API allocation.
Answers are JSON; errors use the Salesforce error-array shape with emulator error codes.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Blueprint, Response, jsonify, request

from .. import errors, ids
from ..models.cdc import cdc
from ..models.fixtures import DEFAULT_FIXTURES, FixtureError, reset_org
from ..models.layouts import Layout
from ..models.packages import PACKAGES, Package, get_package
from .context import current_org

bp = Blueprint("admin", __name__, url_prefix="/sfmock/api")

ADMIN_HEADER = "X-Sfmock-Admin-Key"


class AdminKeyInvalid(errors.SalesforceError):
    status = 401
    error_code = "INVALID_ADMIN_KEY"


class BadAdminRequest(errors.SalesforceError):
    status = 400
    error_code = "INVALID_ADMIN_REQUEST"


@bp.before_request
def _check_admin_key() -> None:
    given = request.headers.get(ADMIN_HEADER, "")
    if not given:
        raise AdminKeyInvalid(f"Missing {ADMIN_HEADER} header: send the admin key that "
                              "`sfmock serve` printed (org.meta['admin_key'] in-process)")
    if not secrets.compare_digest(given, current_org().meta["admin_key"]):
        raise AdminKeyInvalid(f"Wrong {ADMIN_HEADER}: use the key `sfmock serve` printed")


@bp.errorhandler(ValueError)
def _bad_request(exc: ValueError) -> Response:
    error = BadAdminRequest(str(exc))
    response = jsonify(error.body())
    response.status_code = error.status
    return response


def _body(*required: str) -> dict:
    """The JSON object sent (empty when none), with the `required` keys present."""
    data = request.get_json(silent=True) if request.get_data() else {}
    if not isinstance(data, dict):
        raise BadAdminRequest("The body must be a JSON object, e.g. {\"field\": \"Email\"}")
    missing = [k for k in required if data.get(k) in (None, "")]
    if missing:
        raise BadAdminRequest(f"Missing {', '.join(missing)} in the JSON body")
    return data


# -- org state -------------------------------------------------------------------


@bp.post("/reset")
def reset() -> Response:
    """Reset the org in place to the default org, `{"empty": true}`, or `{"fixtures": dir}`."""
    data = _body()
    org = current_org()
    fixtures = None if data.get("empty") else Path(data.get("fixtures") or DEFAULT_FIXTURES)
    try:
        counts = reset_org(org, fixtures)
    except FixtureError as exc:
        raise BadAdminRequest(str(exc)) from None
    return jsonify({"orgId": org.org_id, "name": org.meta["name"], "records": counts})


@bp.post("/sessions/expire")
def expire_sessions() -> Response:
    """Expire every session, or `{"token": ...}` only: clients must log in again."""
    token = _body().get("token")
    return jsonify({"expired": current_org().expire_sessions(token)})


@bp.get("/usage")
def usage() -> Response:
    used, maximum = current_org().api_usage()
    return jsonify({"used": used, "max": maximum, "remaining": max(maximum - used, 0)})


@bp.post("/usage")
def set_usage_limit() -> Response:
    """Change the daily API allocation: `{"max": 1000}`."""
    maximum = _body("max")["max"]
    if not isinstance(maximum, int) or isinstance(maximum, bool) or maximum < 0:
        raise BadAdminRequest("max must be a whole number of API calls, 0 or more")
    current_org().set_api_limit(maximum)
    return usage()


# -- packages --------------------------------------------------------------------


def _package(package: Package, installed: list[str]) -> dict:
    return {"name": package.name, "label": package.label, "namespace": package.namespace,
            "version": package.version, "installed": package.name in installed,
            "fields": {t: [f.name for f in fs] for t, fs in package.fields.items()}}


@bp.get("/packages")
def packages() -> Response:
    installed = current_org().installed_packages()
    return jsonify({"installed": installed,
                    "available": [_package(p, installed) for p in PACKAGES.values()]})


@bp.post("/packages/<name>")
def install(name: str) -> Response:
    org = current_org()
    package = get_package(name)
    fresh = name not in org.installed_packages()
    org.install_package(name)
    response = jsonify(_package(package, org.installed_packages()))
    response.status_code = 201 if fresh else 200
    return response


@bp.delete("/packages/<name>")
def uninstall(name: str) -> Response:
    org = current_org()
    package = get_package(name)
    org.uninstall_package(name)
    return jsonify(_package(package, org.installed_packages()))


# -- layouts and field-level security --------------------------------------------------


def _layout(layout: Layout) -> dict:
    return {"id": layout.id, "type": layout.type, "name": layout.name, "fields": layout.fields(),
            "sections": [{"id": s.id, "heading": s.heading, "columns": s.columns}
                         for s in layout.sections]}


@bp.get("/layouts/<sobject>")
def layout(sobject: str) -> Response:
    return jsonify(_layout(current_org().layouts.get(sobject)))


@bp.post("/layouts/<sobject>/fields")
def add_layout_field(sobject: str) -> Response:
    """Put `{"field": ..., "section": heading (optional)}` on the type's page layout."""
    data = _body("field")
    return jsonify(_layout(current_org().layouts.add_field(sobject, data["field"],
                                                           data.get("section"))))


@bp.delete("/layouts/<sobject>/fields")
@bp.delete("/layouts/<sobject>/fields/<field_name>")
def remove_layout_field(sobject: str, field_name: str | None = None) -> Response:
    name = field_name or _body("field")["field"]
    return jsonify(_layout(current_org().layouts.remove_field(sobject, name)))


@bp.get("/field-security")
def field_security() -> Response:
    entries = current_org().field_security.entries()
    return jsonify({"overrides": [{"type": t, "field": f, "access": a} for t, f, a in entries]})


@bp.post("/field-security")
def set_field_security() -> Response:
    """`{"type": "Contact", "field": "HasOptedOutOfEmail", "access": "hidden|read|edit"}`."""
    data = _body("type", "field", "access")
    org = current_org()
    sobject = org.sobject(data["type"])
    f = sobject.field(data["field"])
    if f is None:
        raise BadAdminRequest(f"No field '{data['field']}' on {sobject.name}")
    org.field_security.set(sobject.name, f.name, data["access"])
    return jsonify({"type": sobject.name, "field": f.name,
                    "access": org.field_security.access(sobject, f)})


# -- validation rules and record locks ---------------------------------------------------


@bp.get("/validation-rules")
def validation_rules() -> Response:
    return jsonify([r.summary() for r in current_org().rules.validations])


@bp.post("/validation-rules")
def add_validation_rule() -> Response:
    """`{"type", "name", "field", "op", "value", "message", "errorField"}`: refuse matching writes;
    `"condition": {"all"|"any": [...]}` in place of field/op/value joins conditions."""
    data = _body("type", "name", "message")
    condition = data.get("condition") or {"field": data.get("field"), "op": data.get("op"),
                                          "value": data.get("value")}
    if "condition" not in data and not (data.get("field") and data.get("op")):
        raise BadAdminRequest("Missing field and op (or condition) in the JSON body")
    org = current_org()
    rule = org.rules.add_validation(data["type"], data["name"], condition, data["message"],
                                    data.get("errorField"))
    response = jsonify(rule.summary())
    response.status_code = 201
    return response


@bp.delete("/validation-rules/<sobject>/<name>")
def remove_validation_rule(sobject: str, name: str) -> Response:
    current_org().rules.remove_validation(sobject, name)
    return Response(status=204)


# -- switchable org behaviours (sfmock/models/behaviours.py) ------------------------------


@bp.get("/behaviours")
def behaviours() -> Response:
    return jsonify(current_org().behaviours.summary())


@bp.post("/behaviours")
def add_behaviours() -> Response:
    """Switch behaviours on, in org.json's form: `{"duplicate_rules": [...], ...}`."""
    response = jsonify(current_org().behaviours.add(_body()))
    response.status_code = 201
    return response


@bp.delete("/behaviours")
@bp.delete("/behaviours/<kind>")
def clear_behaviours(kind: str | None = None) -> Response:
    """Switch every behaviour off, or those of one kind (e.g. `query_timeouts`)."""
    current_org().behaviours.clear(kind)
    return Response(status=204)


@bp.post("/locks")
def lock_record() -> Response:
    """`{"id": record id, "calls": N (optional)}`: its next N writes (or all) are refused."""
    data = _body("id")
    record_id = current_org().rules.lock(str(data["id"]), data.get("calls"))
    response = jsonify({"id": record_id, "calls": data.get("calls")})
    response.status_code = 201
    return response


@bp.delete("/locks/<record_id>")
def release_record(record_id: str) -> Response:
    current_org().rules.release(record_id)
    return Response(status=204)


# -- record behaviours the REST API has no resource for ---------------------------------


@bp.post("/leads/<lead_id>/convert")
def convert_lead(lead_id: str) -> Response:
    """Convert a Lead (SOAP convertLead's effect): `{"contactId", "accountId"}` optional."""
    data = _body()
    return jsonify(current_org().convert_lead(
        lead_id, contact_id=data.get("contactId"), account_id=data.get("accountId")
    ))


@bp.post("/merge")
def merge() -> Response:
    """Merge `{"masterRecordId", "recordIds": [1 or 2 losers], "type" (optional)}`."""
    data = _body("masterRecordId", "recordIds")
    org = current_org()
    losers = data["recordIds"]
    if not isinstance(losers, list) or not all(isinstance(i, str) for i in losers):
        raise BadAdminRequest("recordIds must be a list of record IDs")
    master = str(data["masterRecordId"])
    sobject = org.sobject(data["type"]) if data.get("type") else org.type_for_id(master)
    if sobject is None:
        raise BadAdminRequest(f"'{master}' is not an ID of a known type: pass \"type\"")
    merged = org.merge(sobject.name, master, losers)
    return jsonify({"id": merged, "mergedRecordIds": [ids.normalise(i) or i for i in losers],
                    "updatedRelatedIds": [], "success": True, "errors": []})


# -- Change Data Capture (Setup > Change Data Capture, and event-bus incidents) ----------


@bp.get("/cdc")
def cdc_entities() -> Response:
    bus = cdc(current_org())
    low, high = bus.bounds()
    return jsonify({"selectedEntities": bus.selected(), "earliestReplay": low,
                    "latestReplay": high})


@bp.put("/cdc")
def select_cdc_entities() -> Response:
    """Select exactly `{"selectedEntities": ["Contact", "Lead"]}` for change events."""
    entities = _body("selectedEntities")["selectedEntities"]
    if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
        raise BadAdminRequest('selectedEntities must be a list of object names, e.g. ["Contact"]')
    return jsonify({"selectedEntities": cdc(current_org()).select(entities)})


@bp.post("/cdc/gap")
def cdc_gap() -> Response:
    """Publish a gap event `{"entity", "recordIds", "changeType": "GAP_UPDATE"...}`, as an org
    does for a change it could not capture; GAP_OVERFLOW stands for an overflowed transaction."""
    data = _body("entity")
    bus = cdc(current_org())
    record_ids = data.get("recordIds", [])
    if not isinstance(record_ids, list):
        raise BadAdminRequest("recordIds must be a list of record IDs")
    replay = bus.gap(data["entity"], [ids.normalise(i) or i for i in record_ids],
                     data.get("changeType", "GAP_UPDATE"))
    return jsonify({"replay": replay}), 201
