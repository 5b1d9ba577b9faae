"""What routes read from the request: the org being served, the API version, whether a call is a
Composite subrequest, and admitting a data call. Blueprints import this module, never sfmock.app,
so the app and its blueprints do not import each other."""

from __future__ import annotations

import re

from flask import current_app, request

from ..models.org import Org, Session

SUBREQUEST = "sfmock.subrequest"  # environ flag: a Composite subrequest, part of its parent's call
SOAP_SERVER_URL = re.compile(r"^/services/Soap/u/[^/]+/[^/]+/?$")


def current_org() -> Org:
    """The org this app serves."""
    return current_app.config["ORG"]


def api_version() -> str:
    """The API version in the request path (`/services/data/v59.0/...`)."""
    return request.view_args.get("version", "59.0") if request.view_args else "59.0"


def is_soap_call() -> bool:
    """A Partner SOAP call on the serverUrl login answers: its session is in the envelope."""
    return SOAP_SERVER_URL.match(request.path) is not None


def admit_call(org: Org, session: Session) -> None:
    """Refuse a user without API access, let the fault rules see a data call, then count it
    against the daily allocation."""
    if request.environ.get(SUBREQUEST):
        return  # one Composite call is one API call, and faults apply to it, not its parts
    org.behaviours.check_api_access(session.user_id)
    org.faults.before_call(request.method, request.path, session)
    org.count_api_call()
