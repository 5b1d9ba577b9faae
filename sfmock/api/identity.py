"""The identity service: `/id/<orgId>/<userId>`, OpenID UserInfo, token revoke and introspect."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .. import errors
from ..models import identity
from .auth import _basic_auth, _client, _oauth_error, instance_url
from .context import current_org

bp = Blueprint("identity", __name__)


def _login_base() -> str:
    """The host this request reached: identity URLs name the host that issued the token."""
    return request.host_url.rstrip("/")


def _bearer() -> str:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return request.values.get("oauth_token") or request.values.get("access_token") or ""


def _bad_token() -> Response:
    # Real orgs answer a dead or unknown token here with a bare 403 "Bad_OAuth_Token".
    return Response("Bad_OAuth_Token", 403, content_type="text/plain;charset=UTF-8")


@bp.route("/id/<org_id>/<user_id>", methods=["GET", "POST"])
def identity_url(org_id: str, user_id: str) -> Response:
    org = current_org()
    session = identity.live_session(org, _bearer())
    if session is None:
        return _bad_token()
    if org_id[:15] != org.org_id[:15] or user_id[:15] != session.user_id[:15]:
        return Response("Bad_Id", 403, content_type="text/plain;charset=UTF-8")
    return jsonify(identity.identity(org, session.user_id, login_base=_login_base(),
                                     instance=instance_url(),
                                     version=request.values.get("version")))


@bp.route("/services/oauth2/userinfo", methods=["GET", "POST"])
def userinfo() -> Response:
    org = current_org()
    session = identity.live_session(org, _bearer())
    if session is None:
        return _bad_token()
    return jsonify(identity.userinfo(org, session.user_id, login_base=_login_base(),
                                     instance=instance_url()))


@bp.route("/services/oauth2/revoke", methods=["GET", "POST"])
def revoke() -> Response:
    if not identity.revoke(current_org(), request.values.get("token", "")):
        return _oauth_error(errors.OAuthError("unsupported_token_type",
                                              "this token type is not supported"))
    return Response(status=200)


@bp.post("/services/oauth2/introspect")
def introspect() -> Response:
    form = request.form
    client_id, secret = _basic_auth() or (form.get("client_id"), form.get("client_secret"))
    try:
        _client(client_id, secret)
    except errors.OAuthError as exc:
        return _oauth_error(exc)
    return jsonify(identity.introspect(current_org(), form.get("token", ""),
                                       login_base=_login_base()))
