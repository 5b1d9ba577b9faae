"""Login: the SOAP partner login and the OAuth 2.0 token endpoint."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import Blueprint, Response, jsonify, request

from .. import errors
from ..models.identity import identity_url
from ..models.org import Session
from ..soap import envelope
from ..soap.operations import user_info
from . import soap
from .context import current_org

bp = Blueprint("auth", __name__)

PARTNER_NS = "urn:partner.soap.sforce.com"


def instance_url() -> str:
    """Where clients send data calls: the org's configured instance, or this server itself."""
    return current_org().instance_url or request.host_url.rstrip("/")


@bp.post("/services/Soap/u/<version>")
@bp.post("/<prefix>.salesforce.com/services/Soap/u/<version>")
def soap_login(version: str, prefix: str | None = None) -> Response:
    org = current_org()
    try:
        call = envelope.parse(request.get_data())
    except envelope.EnvelopeError:
        call = None
    if call is not None and call.name != "login":  # jsforce sends its SOAP calls here
        return soap.dispatch(version, call)
    try:
        root = ET.fromstring(request.get_data())
        username = root.findtext(f".//{{{PARTNER_NS}}}username") or ""
        password = root.findtext(f".//{{{PARTNER_NS}}}password") or ""
    except ET.ParseError:
        return _soap_fault("INVALID_LOGIN", "Invalid username, password, security token; "
                           "or user locked out.")
    try:
        creds = org.check_password(username, password)
        org.behaviours.check_login(creds.user_id)
    except errors.LoginError as exc:
        return _soap_fault(exc.code, exc.message)
    session = org.open_session(creds.user_id)
    base = instance_url()
    org_id = org.org_id[:15]  # serverUrl names the org by its 15-character ID, as real orgs do
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="{PARTNER_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result><metadataServerUrl>{base}/services/Soap/m/{version}/{org_id}</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>{base}/services/Soap/u/{version}/{org_id}</serverUrl><sessionId>{session.token}</sessionId><userId>{creds.user_id}</userId><userInfo>{user_info(org, creds.user_id)}</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"""
    return Response(body, 200, content_type="text/xml; charset=utf-8")


def _soap_fault(code: str, message: str) -> Response:
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""
    return Response(body, 500, content_type="text/xml; charset=utf-8")


@bp.post("/services/oauth2/token")
@bp.post("/<prefix>.salesforce.com/services/oauth2/token")
def oauth_token(prefix: str | None = None) -> Response:
    form = request.form
    grant = form.get("grant_type", "")
    try:
        if grant == "password":
            app = _client(form.get("client_id"), form.get("client_secret"))
            creds = current_org().check_password(form.get("username", ""), form.get("password", ""))
            session = current_org().open_session(creds.user_id, app.client_id)
        elif grant == "client_credentials":
            client_id, secret = _basic_auth() or (form.get("client_id"), form.get("client_secret"))
            app = _client(client_id, secret)
            session = _run_as(app)
        elif grant == "refresh_token":
            app = _client(form.get("client_id"), form.get("client_secret"), secret_required=False)
            session = _refresh(app, form.get("refresh_token", ""))
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            app, session = _jwt_bearer(form.get("assertion", ""), prefix)
        else:
            raise errors.OAuthError("unsupported_grant_type", "grant type not supported")
    except errors.LoginError:
        return _oauth_error(errors.OAuthError("invalid_grant", "authentication failure"))
    except errors.OAuthError as exc:
        return _oauth_error(exc)
    return jsonify(_token_body(session, app.client_secret))


def _token_body(session: Session, secret: str) -> dict:
    # The identity URL names the host that issued the token (jsforce and the sf CLI follow it).
    identity = identity_url(request.host_url, current_org(), session.user_id)
    issued_at = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    return {
        "access_token": session.token,
        "instance_url": instance_url(),
        "id": identity,
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(digest).decode(),
        "scope": "api",
    }


def _oauth_error(exc: errors.OAuthError) -> Response:
    response = jsonify({"error": exc.error, "error_description": exc.description})
    response.status_code = exc.status
    return response


def _basic_auth() -> tuple[str, str] | None:
    auth = request.authorization
    if auth and auth.type == "basic":
        return auth.username, auth.password
    return None


def _client(client_id: str | None, secret: str | None, secret_required: bool = True):
    app = current_org().apps.get(client_id or "")
    if app is None:
        raise errors.OAuthError("invalid_client_id", "client identifier invalid")
    if (secret_required or secret) and not hmac.compare_digest(secret or "", app.client_secret):
        raise errors.OAuthError("invalid_client", "invalid client credentials")
    return app


def _run_as(app) -> Session:
    org = current_org()
    creds = org.users.get((app.run_as or "").lower())
    if creds is None:
        raise errors.OAuthError("invalid_grant", "no client credentials user enabled")
    return org.open_session(creds.user_id, app.client_id)


def _refresh(app, token: str) -> Session:
    org = current_org()
    found = org.refresh_tokens.get(token)
    if found is None or found[1] != app.client_id:
        raise errors.OAuthError("invalid_grant", "expired access/refresh token")
    return org.open_session(found[0], app.client_id)


def _jwt_bearer(assertion: str, prefix: str | None):
    org = current_org()
    try:
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise errors.OAuthError("invalid_grant", "invalid assertion") from None
    app = org.apps.get(str(claims.get("iss", "")))
    if app is None:
        raise errors.OAuthError("invalid_client_id", "client identifier invalid")
    if not app.certificate:
        raise errors.OAuthError("invalid_grant", "invalid assertion")
    pem = app.certificate.encode()
    if b"CERTIFICATE" in pem:
        key = x509.load_pem_x509_certificate(pem).public_key()
    else:
        key = load_pem_public_key(pem)
    audiences = ["https://login.salesforce.com", "https://test.salesforce.com", instance_url()]
    if prefix:  # simple-salesforce's aud when pointed here as domain='host:port/prefix'
        audiences.append(f"{request.host_url}{prefix}.salesforce.com")
    # The sf CLI sends the login URL with a trailing slash; Salesforce accepts both spellings.
    audiences += [f"{aud}/" for aud in audiences]
    try:
        verified = jwt.decode(assertion, key=key, algorithms=["RS256"], audience=audiences,
                              options={"require": ["exp", "iss", "sub", "aud"]})
    except jwt.ExpiredSignatureError:
        raise errors.OAuthError("invalid_grant", "expired authorization code") from None
    except jwt.PyJWTError:
        raise errors.OAuthError("invalid_grant", "invalid assertion") from None
    creds = org.users.get(str(verified["sub"]).lower())
    if creds is None:
        raise errors.OAuthError("invalid_grant", "user hasn't approved this consumer")
    return app, org.open_session(creds.user_id, app.client_id)
