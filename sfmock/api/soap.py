"""The Partner SOAP API after login (`POST /services/Soap/u/{version}/{orgId}`, the serverUrl
login answers) and the Partner WSDL Setup offers for download (`GET /soap/wsdl.jsp`).

Routes only parse and serialise: envelopes, sObject XML, faults and the WSDL are in
`sfmock.soap`, the work in the org model.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response, redirect, request, session, url_for

from .. import errors
from ..models.describe import describe_sobject
from ..soap import envelope, faults, operations
from ..soap.envelope import Call
from ..soap.operations import Answer, Context
from ..soap.sobjects import sobject_type
from ..soap.wsdl import partner_wsdl, request_elements
from ..versions import API_VERSIONS
from .context import admit_call, current_org

bp = Blueprint("soap", __name__)

XML = "text/xml; charset=utf-8"
MAX_DESCRIBE = 100  # describeSObjects takes up to 100 types


@bp.post("/services/Soap/u/<version>/<org_id>")
def partner(version: str, org_id: str) -> Response:
    return dispatch(version)


def dispatch(version: str, call: Call | None = None) -> Response:
    """Answer one Partner API call (also reached from the login URL with a SessionHeader)."""
    try:
        call = call or envelope.parse(request.get_data())
        _check_request(call)
    except envelope.EnvelopeError as exc:
        return Response(faults.client_fault(str(exc)), 500, content_type=XML)
    org = current_org()
    try:
        if version not in API_VERSIONS:
            raise errors.UnsupportedApiVersion(
                f"Invalid Api version specified on URL: use one of {API_VERSIONS[0]} to "
                f"{API_VERSIONS[-1]}")
        try:
            live = org.session_for(call.header_text("SessionHeader", "sessionId"))
        except errors.InvalidSessionId:
            raise errors.InvalidSessionId(
                "Invalid Session ID found in SessionHeader: Illegal Session") from None
        admit_call(org, live)
        ctx = Context(org, live.user_id, version,
                      all_or_none=call.header_flag("AllOrNoneHeader", "allOrNone"),
                      batch_size=_batch_size(call))
        answer = HANDLERS[call.name](ctx, call.operation)
    except errors.SalesforceError as exc:
        return Response(faults.fault(exc.error_code, exc.message), 500, content_type=XML)
    body = envelope.response(call.name, answer.results, org.api_usage(), answer.records)
    return Response(body, 200, content_type=XML)


def _check_request(call: Call) -> None:
    """EnvelopeError for an operation sfmock does not serve, or an element its WSDL does not
    allow there (Salesforce's deserializer is strict: `soapenv:Client` faults)."""
    if call.name not in HANDLERS:
        raise envelope.EnvelopeError(f"No operation available for request {call.operation.tag}, "
                                     "please check the WSDL for the service.")
    allowed = request_elements(call.name)
    for part in call.operation:
        if envelope.local(part.tag) not in allowed:
            raise envelope.EnvelopeError(f"Element {part.tag} invalid at this location")


def _batch_size(call: Call) -> int | None:
    raw = call.header_text("QueryOptions", "batchSize")
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _describe(ctx: Context, name: str | None) -> str:
    sobject = sobject_type(ctx.org, name)
    described = describe_sobject(ctx.org.types, sobject, ctx.version, ctx.org.field_security,
                                 request.host_url)
    return operations.describe_sobject_result(described)


def describe_sobject_call(ctx: Context, op: ET.Element) -> Answer:
    return Answer(f"<result>{_describe(ctx, envelope.text(envelope.child(op, 'sObjectType')))}"
                  "</result>")


def describe_sobjects_call(ctx: Context, op: ET.Element) -> Answer:
    names = envelope.texts(op, "sObjectType")
    if len(names) > MAX_DESCRIBE:
        raise errors.ExceededIdLimit(f"describeSObjects takes at most {MAX_DESCRIBE} types: "
                                     "split the list")
    return Answer("".join(f"<result>{_describe(ctx, n)}</result>" for n in names))


HANDLERS = {**operations.OPERATIONS, "describeSObject": describe_sobject_call,
            "describeSObjects": describe_sobjects_call}


# -- the Partner WSDL ---------------------------------------------------------------------


@bp.get("/soap/wsdl.jsp")
def wsdl() -> Response:
    """Setup's "Generate Partner WSDL": for a signed-in user, or a `sid` cookie of a live API
    session (how scripts download it); `type=*` would be the Enterprise WSDL."""
    if request.args.get("type"):
        return Response("sfmock serves the Partner WSDL only: GET /soap/wsdl.jsp without "
                        "'type'", 404, content_type="text/plain; charset=utf-8")
    if not _signed_in():
        return redirect(url_for("setup.login", next=request.full_path.rstrip("?")))
    host = request.host.split(":", 1)[0]
    # A real org's Partner WSDL names the login server; the emulator on its own host names itself.
    login = "https://login.salesforce.com" if host.endswith("salesforce.com") else (
        request.host_url.rstrip("/"))
    return Response(partner_wsdl(API_VERSIONS[-1], login), 200, content_type=XML)


def _signed_in() -> bool:
    org = current_org()
    if session.get("user_id") and any(c.user_id == session["user_id"]
                                      for c in org.users.values()):
        return True
    try:
        org.session_for(request.cookies.get("sid"))
    except errors.InvalidSessionId:
        return False
    return True
