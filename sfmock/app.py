"""The Flask application factory: one app per org, shared by both front doors."""

from __future__ import annotations

from flask import Flask, Response, g, jsonify, request

from . import errors, setup
from .api import (
    admin,
    auth,
    bulk1,
    bulk2,
    composite,
    identity,
    layouts,
    org_objects,
    query,
    rest,
    search,
    soap,
    sobjects,
    tooling,
    tree,
    ui,
)
from .api.context import (
    DATA_PATHS,
    SUBREQUEST,
    admit_call,
    current_org,
    data_session,
    is_soap_call,
)
from .hot_routes import install_hot_routes
from .http_encoding import install_encodings
from .models.faults import DROPPED, ConnectionDropped, drop_connection
from .models.org import Org
from .routing import LazyBuilderRule
from .sessions import CookieSessions
from .uri_limit import UriLimit

# Every area of the emulator, registered in this order.
BLUEPRINTS = (
    auth.bp,
    rest.bp,
    sobjects.bp,
    query.bp,
    composite.bp,
    bulk2.bp,
    bulk1.bp,
    search.bp,
    soap.bp,
    identity.bp,
    tree.bp,
    org_objects.bp,
    admin.bp,
    layouts.bp,
    ui.bp,
    tooling.bp,
    setup.bp,
)


def create_app(org: Org) -> Flask:
    """A Flask app serving `org` over Salesforce's login, REST and Bulk wire formats."""
    app = Flask(__name__)
    app.url_rule_class = LazyBuilderRule  # before any rule is added (routing.py says why)
    app.config["ORG"] = org
    app.json.sort_keys = False  # Salesforce's key order is visible to clients.
    app.json.compact = True
    app.session_interface = CookieSessions()  # Setup's; no serializer for API calls
    app.url_map.strict_slashes = False  # clients call both `sobjects/Contact/` and `.../describe`

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    install_hot_routes(app)  # first: its hook runs before the others, its middleware innermost
    install_encodings(app)  # gzip request bodies and responses, JSON's charset
    app.before_request(_authenticate)
    app.after_request(_limit_info)
    app.register_error_handler(errors.SalesforceError, _salesforce_error)
    app.register_error_handler(ConnectionDropped, _dropped)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _method_not_allowed)
    app.wsgi_app = UriLimit(app.wsgi_app, SUBREQUEST)  # 414/431 before routing, as Salesforce does
    return app


def _is_data_call() -> bool:
    return request.path.startswith(DATA_PATHS) or is_soap_call()


def _authenticate() -> None:
    """Every data call needs a live session; each one counts against the daily allocation."""
    org = current_org()
    session = data_session(org, request.path, request.environ)
    if session is not None:
        g.session = session
        admit_call(org, session)


def _limit_info(response: Response) -> Response:
    # JSON answers get `application/json;charset=UTF-8` from http_encoding's hook, after this.
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
    """A `drop` fault: the client gets no response at all (see docs/emulator.md)."""
    drop_connection(request.environ)
    return Response(status=500, headers={DROPPED: "1"})


def _not_found(exc: Exception) -> Response:
    return _salesforce_error(errors.NotFound("The requested resource does not exist"))


def _method_not_allowed(exc: Exception) -> Response:
    return _salesforce_error(
        errors.MethodNotAllowed(f"HTTP Method '{request.method}' not allowed. Allowed are "
                                + ",".join(sorted(getattr(exc, "valid_methods", None) or [])))
    )
