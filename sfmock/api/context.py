"""What routes read from the request: the org being served, the API version and the
versions served, and whether a call is a Composite subrequest. Blueprints import this module,
never sfmock.app, so the app and its blueprints do not import each other."""

from __future__ import annotations

from flask import current_app, request

from ..models.org import Org

API_VERSIONS = [f"{v}.0" for v in range(31, 63)]
RELEASES = {59: "Winter '24", 60: "Spring '24", 61: "Summer '24", 62: "Winter '25"}
SUBREQUEST = "sfmock.subrequest"  # environ flag: a Composite subrequest, part of its parent's call


def current_org() -> Org:
    """The org this app serves."""
    return current_app.config["ORG"]


def api_version() -> str:
    """The API version in the request path (`/services/data/v59.0/...`)."""
    return request.view_args.get("version", "59.0") if request.view_args else "59.0"
