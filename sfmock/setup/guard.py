"""Setup sign-in: an org user's username and password, a signed session cookie, CSRF tokens."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from flask import abort, redirect, request, session, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from ..api.context import current_org
from .blueprint import bp

OPEN_ENDPOINTS = {"setup.login", "setup.static"}
LOGIN_FAILED = ("Please check your username and password. If you still can't log in, "
                "contact your Salesforce administrator.")


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Sign session cookies with a key derived from the org's admin key (stable across restarts)."""
    app = state.app
    if not app.secret_key:
        admin_key = app.config["ORG"].meta["admin_key"]
        app.secret_key = hashlib.sha256(f"sfmock-setup:{admin_key}".encode()).hexdigest()
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")


def csrf_token() -> str:
    """The session's CSRF token, for every form's hidden `csrf_token` field."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


bp.add_app_template_global(csrf_token)


def current_user() -> dict | None:
    """The signed-in user's User record, or None."""
    user_id = session.get("user_id")
    if not user_id:
        return None
    org = current_org()
    if not any(c.user_id == user_id for c in org.users.values()):
        return None  # the org was reset or the user removed
    return org.user_record(user_id)


def check_login(username: str, password: str) -> str | None:
    """The user ID when the password is right for an active user (no token in the UI)."""
    org = current_org()
    creds = org.users.get(username.strip().lower())
    if creds is None or not secrets.compare_digest(creds.password.encode(), password.encode()):
        return None
    if not org.user_record(creds.user_id)["IsActive"]:
        return None
    return creds.user_id


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else goes to Setup home."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/"):
        return url_for("setup.home")
    return target


@bp.before_request
def _guard() -> Response | None:
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
            abort(400, "This form has expired: reload the page and try again.")
    if request.endpoint in OPEN_ENDPOINTS or current_user() is not None:
        return None
    return redirect(url_for("setup.login", next=request.full_path.rstrip("?")))
