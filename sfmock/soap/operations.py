"""The Partner API calls after login: each reads its operation element, works through the org
model (the same `Org`, SOQL engine and per-record transactions as the REST API) and answers the
XML of its `<result>` elements."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import TypeVar

from .. import errors, ids
from ..models import collections
from ..models.org import SESSION_SECONDS, Org
from ..soql import QueryEngine
from . import sobjects
from .envelope import child, children, element, text, texts
from .types import render

MAX_RECORDS = 200  # create, update, upsert, delete, merge: the Partner API's per-call cap
MAX_RETRIEVE = 2000
SOAP_BATCH = 500  # QueryOptions batchSize: 500 unless the client asks for 200..2,000
CONVERTED_STATUS = "Closed - Converted"  # the Lead Status picklist's one converted value
T = TypeVar("T")


@dataclass
class Context:
    """Who calls, at which API version, with which SOAP header options."""

    org: Org
    user_id: str
    version: str
    all_or_none: bool = False
    batch_size: int | None = None


@dataclass
class Answer:
    results: str
    records: bool = False  # the response carries sObjects (declare the `sf:` namespace)


# -- queries ----------------------------------------------------------------------------


def _query_result(ctx: Context, page: dict) -> Answer:
    locator = None
    if not page["done"] and page.get("nextRecordsUrl"):
        locator = page["nextRecordsUrl"].rsplit("/", 1)[-1]
    records = "".join(sobjects.record_xml(ctx.org, r) for r in page["records"])
    body = (f"<done>{'true' if page['done'] else 'false'}</done>"
            f"{element('queryLocator', locator)}{records}<size>{page['totalSize']}</size>")
    return Answer(f'<result xsi:type="QueryResult">{body}</result>', records=True)


def _query(ctx: Context, op: ET.Element, include_deleted: bool) -> Answer:
    soql = text(child(op, "queryString")) or ""
    if not soql.strip():
        raise errors.MalformedQuery("A query string has to be specified")
    engine = QueryEngine.for_org(ctx.org)
    page = engine.query(soql, include_deleted=include_deleted,
                        batch_size=ctx.batch_size or SOAP_BATCH, version=ctx.version)
    return _query_result(ctx, page)


def query(ctx: Context, op: ET.Element) -> Answer:
    return _query(ctx, op, include_deleted=False)


def query_all(ctx: Context, op: ET.Element) -> Answer:
    return _query(ctx, op, include_deleted=True)


def query_more(ctx: Context, op: ET.Element) -> Answer:
    locator = (text(child(op, "queryLocator")) or "").strip()
    engine = QueryEngine.for_org(ctx.org)
    return _query_result(ctx, engine.query_more(locator, version=ctx.version))


def retrieve(ctx: Context, op: ET.Element) -> Answer:
    sobject = sobjects.sobject_type(ctx.org, text(child(op, "sObjectType")))
    names = [n.strip() for n in (text(child(op, "fieldList")) or "").split(",") if n.strip()]
    record_ids = [i.strip() for i in texts(op, "ids")]
    if not record_ids:
        return Answer("", records=True)
    if len(record_ids) > MAX_RETRIEVE:
        raise errors.ExceededIdLimit(f"retrieve more than {MAX_RETRIEVE} ids: send at most "
                                     f"{MAX_RETRIEVE} ids per call")
    if not names:
        raise errors.MalformedQuery("fieldList is empty: name the fields to retrieve, "
                                    "separated by commas")
    found = collections.retrieve(ctx.org, sobject.name, record_ids, names, ctx.version)
    out = []
    for given, record in zip(record_ids, found, strict=True):
        out.append(sobjects.record_xml(ctx.org, record, "result", ids.normalise(given)))
    return Answer("".join(out), records=True)


# -- writes -----------------------------------------------------------------------------


def _errors(result: dict) -> list[dict]:
    return [{"fields": e.get("fields") or [], "message": e["message"],
             "statusCode": e["statusCode"]} for e in result.get("errors", [])]


def _batch(ctx: Context, op: ET.Element, name: str) -> list[sobjects.SObjectIn]:
    """The sObjects of a write call, checked whole first: type and field names, as a fault."""
    records = sobjects.read_all(op, name)
    _cap(len(records))
    for record in records:
        sobject = sobjects.sobject_type(ctx.org, record.type)
        collections.check_fields(ctx.org, sobject, list(record.fields))
    return records


def _cap(count: int) -> None:
    if count > MAX_RECORDS:
        raise errors.ExceededIdLimit(
            f"record limit reached. cannot submit more than {MAX_RECORDS} records into this call")


def _run(ctx: Context, count: int, attempt: Callable[[int], dict]) -> list[dict]:
    """Each record in its own savepoint, all-or-none when the AllOrNoneHeader asks for it:
    the sObject Collections' own per-record machinery, so both APIs fail and roll back alike."""
    return collections._run(ctx.org, count, attempt, ctx.all_or_none, lambda i: None)


def _missing_is_cross_reference(call: Callable[[], T]) -> T:
    """A well-formed Id of no record: the Partner API's INVALID_CROSS_REFERENCE_KEY."""
    try:
        return call()
    except errors.NotFound:
        raise errors.InvalidCrossReferenceKey("invalid cross reference id", []) from None


def _save_results(results: list[dict], kind: str = "SaveResult") -> Answer:
    out = []
    for result in results:
        data = {**result, "errors": _errors(result)}
        if not result["success"]:
            data["id"] = None
        out.append(f"<result>{render(kind, data)}</result>")
    return Answer("".join(out))


def create(ctx: Context, op: ET.Element) -> Answer:
    records = _batch(ctx, op, "sObjects")

    def attempt(i: int) -> dict:
        record = records[i]
        sobject = ctx.org.sobject(record.type)
        if record.id:
            raise errors.InvalidFieldForInsertUpdate("cannot specify Id in an insert call",
                                                     ["Id"])
        data = sobjects.typed(sobject, record.fields)
        return {"id": ctx.org.insert(sobject.name, data, user_id=ctx.user_id), "success": True}

    return _save_results(_run(ctx, len(records), attempt))


def update(ctx: Context, op: ET.Element) -> Answer:
    records = _batch(ctx, op, "sObjects")

    def attempt(i: int) -> dict:
        record = records[i]
        if not record.id:
            raise errors.MissingArgument("Id not specified in an update call", [])
        sobject = ctx.org.sobject(record.type)
        data = sobjects.typed(sobject, record.fields)
        saved = _missing_is_cross_reference(
            lambda: ctx.org.update(sobject.name, record.id, data, user_id=ctx.user_id))
        return {"id": saved, "success": True}

    return _save_results(_run(ctx, len(records), attempt))


def upsert(ctx: Context, op: ET.Element) -> Answer:
    field_name = (text(child(op, "externalIDFieldName")) or "").strip()
    records = _batch(ctx, op, "sObjects")

    def attempt(i: int) -> dict:
        record = records[i]
        sobject = ctx.org.sobject(record.type)
        ext = sobject.field(field_name)
        if ext is None or not (ext.external_id or ext.type == "id"):
            raise errors.InvalidField(
                f"Field name provided, {field_name} is not an External ID or indexed field for "
                f"{sobject.name}", [field_name])
        data = sobjects.typed(sobject, record.fields)
        value = record.id if ext.type == "id" else data.pop(ext.name, None)
        data = {k: v for k, v in data.items() if k.lower() != ext.name.lower()}
        if value in (None, "") and ext.type != "id":
            raise errors.MissingArgument(f"{ext.name} not specified", [ext.name])
        if value in (None, ""):
            return {"created": True, "success": True,
                    "id": ctx.org.insert(sobject.name, data, user_id=ctx.user_id)}
        done = _missing_is_cross_reference(
            lambda: ctx.org.upsert(sobject.name, ext.name, str(value), data, user_id=ctx.user_id))
        if done.get("matches"):
            found = ", ".join(row["Id"] for row in done["matches"])
            raise errors.DuplicateExternalId(
                f"{ext.name}: more than one record found for external id field: [{found}]",
                [ext.name])
        return {"created": done["created"], "id": done["id"], "success": True}

    results = _run(ctx, len(records), attempt)
    for result in results:
        result.setdefault("created", False)
    return _save_results(results, "UpsertResult")


def delete(ctx: Context, op: ET.Element) -> Answer:
    record_ids = [i.strip() for i in texts(op, "ids")]
    _cap(len(record_ids))

    def attempt(i: int) -> dict:
        given = record_ids[i]
        sobject = ctx.org.type_for_id(given) if ids.normalise(given) else None
        if sobject is None:
            raise errors.MalformedId(f"malformed id {given}", [])
        deleted = _missing_is_cross_reference(lambda: ctx.org.delete(sobject.name, given))
        return {"id": deleted, "success": True}

    return _save_results(_run(ctx, len(record_ids), attempt), "DeleteResult")


# -- Lead conversion and merge -------------------------------------------------------------


def convert_lead(ctx: Context, op: ET.Element) -> Answer:
    requests = children(op, "leadConverts")
    _cap(len(requests))

    def attempt(i: int) -> dict:
        request = requests[i]
        status = text(child(request, "convertedStatus"))
        if status != CONVERTED_STATUS:
            raise errors.InvalidStatus(f"invalid convertedStatus: {status}", [])
        lead_id = (text(child(request, "leadId")) or "").strip()
        if not lead_id:
            raise errors.MissingArgument("leadId not specified", ["leadId"])
        result = _missing_is_cross_reference(lambda: ctx.org.convert_lead(
            lead_id, contact_id=text(child(request, "contactId")) or None,
            account_id=text(child(request, "accountId")) or None))
        return result

    out = []
    for result in _run(ctx, len(requests), attempt):
        data = {**result, "errors": _errors(result)}
        out.append(f"<result>{render('LeadConvertResult', data)}</result>")
    return Answer("".join(out))


def merge(ctx: Context, op: ET.Element) -> Answer:
    requests = children(op, "request")
    _cap(len(requests))
    masters = []
    for request in requests:
        master_element = child(request, "masterRecord")
        master = sobjects.read(master_element) if master_element is not None else None
        if master is None:
            raise errors.MissingArgument("masterRecord not specified in a merge request")
        sobject = sobjects.sobject_type(ctx.org, master.type)
        if sobject.name not in ("Account", "Contact", "Lead"):
            raise errors.InvalidType(f"Cannot merge records of type {sobject.name}: only "
                                     "Accounts, Contacts and Leads merge")
        collections.check_fields(ctx.org, sobject, list(master.fields))
        masters.append(master)

    def attempt(i: int) -> dict:
        master = masters[i]
        losers = [x.strip() for x in texts(requests[i], "recordToMergeIds")]
        if not master.id:
            raise errors.MissingArgument("Id not specified in the masterRecord", [])
        sobject = ctx.org.sobject(master.type)

        def run() -> str:
            if master.fields:
                ctx.org.update(sobject.name, master.id, sobjects.typed(sobject, master.fields),
                               user_id=ctx.user_id)
            return ctx.org.merge(sobject.name, master.id, losers)

        merged = _missing_is_cross_reference(run)
        return {"id": merged, "mergedRecordIds": [ids.normalise(x) or x for x in losers],
                "updatedRelatedIds": [], "success": True}

    out = []
    for result in _run(ctx, len(requests), attempt):
        data = {**result, "errors": _errors(result)}
        if not result["success"]:
            data["id"] = None
        out.append(f"<result>{render('MergeResult', data)}</result>")
    return Answer("".join(out))


# -- describes and utilities -----------------------------------------------------------------


def describe_global_result(org: Org, version: str) -> str:
    entries = [{**t.summary(version), "idEnabled": True} for t in org.types.values()]
    return render("DescribeGlobalResult",
                  {"encoding": "UTF-8", "maxBatchSize": MAX_RECORDS, "sobjects": entries})


def describe_sobject_result(described: dict) -> str:
    """A REST describe (api/sobjects.describe_sobject) as a Partner DescribeSObjectResult."""
    return render("DescribeSObjectResult", {**described, "idEnabled": True})


def user_info(org: Org, user_id: str) -> str:
    """The GetUserInfoResult elements (also login's `userInfo`), as a real org sends them."""
    user = org.user_record(user_id)
    return render("GetUserInfoResult", {
        "accessibilityMode": False, "chatterExternal": False, "currencySymbol": "$",
        "orgAttachmentFileSizeLimit": 5242880, "orgDefaultCurrencyIsoCode": "USD",
        "orgDefaultCurrencyLocale": "en_US", "orgDisallowHtmlAttachments": False,
        "orgHasPersonAccounts": False, "organizationId": org.org_id,
        "organizationMultiCurrency": False, "organizationName": org.meta["name"],
        "profileId": "00e8d000000AbCdAAK", "roleId": None, "sessionSecondsValid": SESSION_SECONDS,
        "userDefaultCurrencyIsoCode": None, "userEmail": user["Email"],
        "userFullName": user["Name"], "userId": user_id, "userLanguage": "en_US",
        "userLocale": "en_US", "userName": user["Username"],
        "userTimeZone": user["TimeZoneSidKey"], "userType": "Standard", "userUiSkin": "Theme3",
    })


def get_user_info(ctx: Context, op: ET.Element) -> Answer:
    return Answer(f"<result>{user_info(ctx.org, ctx.user_id)}</result>")


def get_server_timestamp(ctx: Context, op: ET.Element) -> Answer:
    now = ctx.org.now().astimezone(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    return Answer(f"<result>{render('GetServerTimestampResult', {'timestamp': stamp})}</result>")


def describe_global(ctx: Context, op: ET.Element) -> Answer:
    return Answer(f"<result>{describe_global_result(ctx.org, ctx.version)}</result>")


OPERATIONS: dict[str, Callable[[Context, ET.Element], Answer]] = {
    "query": query, "queryAll": query_all, "queryMore": query_more, "retrieve": retrieve,
    "create": create, "update": update, "upsert": upsert, "delete": delete,
    "convertLead": convert_lead, "merge": merge, "describeGlobal": describe_global,
    "getUserInfo": get_user_info, "getServerTimestamp": get_server_timestamp,
}
# describeSObject(s) need the REST describe with field-level security: sfmock/api/soap.py.
