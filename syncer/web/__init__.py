"""The syncer's web app: admin pages, the public unsubscribe page, and the capture API.

    app = create_app(load_config())          # or create_app(Syncer(config))
    app.run("127.0.0.1", 8080)               # `syncer web` does this

Blueprints: `public` (/unsubscribe/<token>, RFC 8058 one-click too), `admin` (/admin: login,
settings, runs, outbox, people) and `api` (/api: unsubscribes and resubscribes, bearer keys).
Views only parse and render; the work is done by `syncer.service.Syncer`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from ..config import Config
from ..service import Syncer
from . import auth, display
from .tokens import DEFAULT_MAX_AGE, LinkTokens

MAX_BODY = 64 * 1024
SESSION_HOURS = 8
log = logging.getLogger(__name__)


def create_app(
    service_or_config: Syncer | Config,
    *,
    secret_key: str | None = None,
    link_max_age: timedelta = DEFAULT_MAX_AGE,
    secure_cookies: bool = False,
    clock: Callable[[], float] = time.time,
) -> Flask:
    """The web app over one Syncer (made from a Config if given one).

    `secret_key` signs sessions and unsubscribe links; by default it is the store's own, so
    links printed by `syncer unsubscribe-link` open here. `secure_cookies` marks the session
    cookie Secure (set it when the app is served over HTTPS). `clock` dates the links.
    """
    service = service_or_config if isinstance(service_or_config, Syncer) else Syncer(
        service_or_config)
    key = secret_key or auth.secret_key(service.store)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=key,
        MAX_CONTENT_LENGTH=MAX_BODY,
        SESSION_COOKIE_NAME="syncer_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
    )
    app.json.sort_keys = False
    app.extensions["syncer"] = service
    app.extensions["syncer.links"] = LinkTokens(key, link_max_age, clock)
    app.extensions["syncer.logins"] = auth.LoginThrottle()
    app.jinja_env.globals["csrf_token"] = auth.csrf_token
    app.jinja_env.filters["timestamp"] = display.timestamp
    app.jinja_env.filters["label"] = display.label
    app.add_url_rule("/favicon.ico", "favicon", _favicon)

    from . import admin, api, health, public

    app.register_blueprint(public.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin.root)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _favicon():
    """Browsers ask for /favicon.ico whatever the pages link: answer with the SVG icon."""
    from flask import current_app

    return current_app.send_static_file("favicon.svg")


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; frame-ancestors 'none';"
                                " base-uri 'none'; form-action 'self'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


def _http_error(error: HTTPException):
    """Errors as one JSON line under /api, as a page elsewhere."""
    message = _message(error)
    if _wants_json():
        response = error.get_response()
        response.set_data(json.dumps({"error": message}))
        response.mimetype = "application/json"
        return response
    return render_template("error.html", code=error.code, title=error.name,
                           message=message), error.code


def _unexpected(error: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    message = ("the syncer failed unexpectedly; anything already saved is kept: try again,"
               " and see the server log if it persists")
    if _wants_json():
        return {"error": message}, 500
    return render_template("error.html", code=500, title="Something went wrong",
                           message=message), 500


def _message(error: HTTPException) -> str:
    """The error's one-line text: ours when we gave one, else a hint per status."""
    hints = {
        404: "there is no such page: check the address",
        405: f"{request.method} is not allowed here: see the page's form or the API's methods",
        413: f"the request body is larger than {MAX_BODY // 1024} KiB: send one capture per"
             " request",
    }
    default = type(error).description
    if error.description and error.description != default:
        return error.description
    return hints.get(error.code or 0, (error.description or error.name).strip())
