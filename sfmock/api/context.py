"""What routes read from the request: the org being served, the API version, whether a call is a
Composite subrequest, and admitting a data call. Blueprints import this module, never sfmock.app,
so the app and its blueprints do not import each other."""

from __future__ import annotations

import re

from flask import current_app, request

from .. import errors
from ..models.cdc import change_origin
from ..models.org import Org, Session
from ..versions import API_VERSIONS, version_in_path

SUBREQUEST = "sfmock.subrequest"  # environ flag: a Composite subrequest, part of its parent's call
SOAP_SERVER_URL = re.compile(r"^/services/Soap/u/[^/]+/[^/]+/?$")
DATA_PATHS = ("/services/data/v", "/services/async/")


def current_org() -> Org:
    """The org this app serves."""
    return current_app.config["ORG"]


def api_version() -> str:
    """The API version in the request path (`/services/data/v59.0/...`)."""
    return request.view_args.get("version", "59.0") if request.view_args else "59.0"


def is_soap_call() -> bool:
    """A Partner SOAP call on the serverUrl login answers: its session is in the envelope."""
    return SOAP_SERVER_URL.match(request.path) is not None


def data_session(org: Org, path: str, environ: dict) -> Session | None:
    """The live session a data call (`/services/data`, `/services/async`) names, None for any
    other path; NOT_FOUND for an API version the org does not serve, INVALID_SESSION_ID for a
    missing or dead token. Notes the API a record change comes through on the way."""
    change_origin.set(_change_origin(path))
    if not path.startswith(DATA_PATHS):
        return None  # SOAP calls too: api/soap.py reads the SessionHeader and calls admit_call
    if version_in_path(path) not in API_VERSIONS:
        raise errors.NotFound("The requested resource does not exist")
    header = environ.get("HTTP_AUTHORIZATION", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else None
    return org.session_for(token or environ.get("HTTP_X_SFDC_SESSION"))


def _change_origin(path: str) -> str:
    """The API a record change came through, as change events name it
    (`com/salesforce/api/rest/60.0`, `com/salesforce/api/soap/60.0`)."""
    parts = path.split("/")
    if path.startswith("/services/data/v"):
        return f"com/salesforce/api/rest/{parts[3][1:]}"
    if path.startswith("/services/Soap/u/") and len(parts) > 4:
        return f"com/salesforce/api/soap/{parts[4]}"
    return ""


def admit_call(org: Org, session: Session) -> None:
    """`admit` for the current request; a Composite subrequest was admitted with its parent."""
    if request.environ.get(SUBREQUEST):
        return  # one Composite call is one API call, and faults apply to it, not its parts
    admit(org, session, request.method, request.path)


def admit(org: Org, session: Session, method: str, path: str) -> None:
    """Refuse a user without API access, let the fault rules see a data call, then count it
    against the daily allocation."""
    org.behaviours.check_api_access(session.user_id)
    org.faults.before_call(method, path, session)
    org.count_api_call()
