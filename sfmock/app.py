"""The Flask application factory: one app per org, shared by both front doors."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify, request

from . import errors
from .models.faults import DROPPED, ConnectionDropped, drop_connection
from .models.org import Org
from .versions import API_VERSIONS, version_in_path

SUBREQUEST = "sfmock.subrequest"  # environ flag: a Composite subrequest, part of its parent's call


def create_app(org: Org) -> Flask:
    """A Flask app serving `org` over Salesforce's login, REST and Bulk wire formats."""
    app = Flask(__name__)
    app.config["ORG"] = org
    app.json.sort_keys = False  # Salesforce's key order is visible to clients.
    app.json.compact = True
    app.url_map.strict_slashes = False  # clients call both `sobjects/Contact/` and `.../describe`

    from .api import auth, rest, sobjects

    app.register_blueprint(auth.bp)
    app.register_blueprint(rest.bp)
    app.register_blueprint(sobjects.bp)
    for name in ("query", "composite", "bulk2", "admin", "layouts"):
        _register_optional(app, name)
    for name in ("setup",):
        _register_optional(app, name, package="sfmock")

    app.before_request(_authenticate)
    app.after_request(_limit_info)
    app.register_error_handler(errors.SalesforceError, _salesforce_error)
    app.register_error_handler(ConnectionDropped, _dropped)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _method_not_allowed)
    return app


def _register_optional(app: Flask, name: str, package: str = "sfmock.api") -> None:
    """Register the blueprint of an API area when its module is present."""
    import importlib

    try:
        module = importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{package}.{name}":
            raise
        return
    app.register_blueprint(module.bp)


def current_org() -> Org:
    return current_app.config["ORG"]


def api_version() -> str:
    return request.view_args.get("version", "59.0") if request.view_args else "59.0"


def _is_data_call() -> bool:
    path = request.path
    return path.startswith("/services/data/v") or path.startswith("/services/async/")


def _authenticate() -> None:
    """Every data call needs a live session; each one counts against the daily allocation."""
    if not _is_data_call():
        return
    if version_in_path(request.path) not in API_VERSIONS:
        raise errors.NotFound("The requested resource does not exist")
    org = current_org()
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    token = token or request.headers.get("X-SFDC-Session")
    g.session = org.session_for(token)
    if request.environ.get(SUBREQUEST):
        return  # one Composite call is one API call, and faults apply to it, not its parts
    faults = getattr(org, "faults", None)
    if faults is not None:
        faults.before_call(request.method, request.path, g.session)
    org.count_api_call()


def _limit_info(response: Response) -> Response:
    if response.mimetype == "application/json":
        # Real orgs name the charset on every JSON answer, success or error (recorded
        # describes in CumulusCI's cassettes: `application/json;charset=UTF-8`).
        response.content_type = "application/json;charset=UTF-8"
    if _is_data_call():
        used, maximum = current_org().api_usage()
        response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{maximum}"
    return response


def _salesforce_error(exc: errors.SalesforceError) -> Response:
    response = jsonify(exc.body())
    response.status_code = exc.status
    response.content_type = "application/json;charset=UTF-8"
    return response


def _dropped(exc: ConnectionDropped) -> Response:
    """A `drop` fault: the client gets no response at all (see models/faults.py)."""
    drop_connection(request.environ)
    return Response(status=500, headers={DROPPED: "1"})


def _not_found(exc: Exception) -> Response:
    return _salesforce_error(errors.NotFound("The requested resource does not exist"))


def _method_not_allowed(exc: Exception) -> Response:
    return _salesforce_error(
        errors.MethodNotAllowed(f"HTTP Method '{request.method}' not allowed. Allowed are "
                                + ",".join(sorted(getattr(exc, "valid_methods", None) or [])))
    )
