"""Flask's signed-cookie sessions, made only when a request brings a session cookie.

Flask builds its signing serializer for every request before it looks for the cookie; only the
Setup pages keep a session, and every API call paid for the serializer (a tenth of an
in-process call: benchmarks/README.md). Without a cookie the session is a new empty one, as
Flask's own answer is.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)
