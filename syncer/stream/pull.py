"""The stream's incremental pulls: both types since a watermark in ONE Composite call, or the
records a gap event names, by Id.

An idle poll costs exactly one API call: `/composite` with one query subrequest per type.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from ..nightly.pull import OVERLAP
from ..nightly.records import TYPES, Record, field_names, select_list, soql_datetime
from ..nightly.remote import Remote
from ..salesforce import PermanentError


def changed_since(remote: Remote, field: str, marks: dict[str, str | None]
                  ) -> dict[str, list[Record]]:
    """Contacts and Leads whose SystemModstamp is after each type's watermark (every record of
    a type without one), both first pages in one Composite request; further pages as needed."""
    soqls = {sobject: _soql(sobject, field, marks.get(sobject)) for sobject in TYPES}

    def composite(sf):
        return sf.restful("composite", method="POST", json={
            "allOrNone": False,
            "compositeRequest": [{"method": "GET", "referenceId": sobject,
                                  "url": f"/services/data/v{sf.sf_version}/query/?"
                                  + urlencode({"q": soql})} for sobject, soql in soqls.items()]})

    answer = remote.client.call("polling Contacts and Leads", composite)
    out: dict[str, list[Record]] = {}
    for item in answer["compositeResponse"]:
        sobject, page = item["referenceId"], item["body"]
        if item["httpStatusCode"] >= 400:
            error = (page or [{}])[0]
            raise PermanentError(
                f"Salesforce refused the poll of {sobject} ({error.get('errorCode')}:"
                f" {error.get('message')})",
                "check that the opt-out field exists on Contact and Lead and the integration"
                " user can read it (`syncer doctor` checks this)", code=error.get("errorCode"),
                status=item["httpStatusCode"])
        records = [Record.parse(r, sobject, field) for r in page["records"]]
        while not page.get("done", True):
            page = remote.query_more(page["nextRecordsUrl"])
            records += [Record.parse(r, sobject, field) for r in page["records"]]
        out[sobject] = records
    return out


def by_id(remote: Remote, field: str, ids: list[str]) -> list[Record]:
    """The live records among `ids` (a gap event's), read with Collections retrieve."""
    found: list[Record] = []
    for sobject, prefix in (("Contact", "003"), ("Lead", "00Q")):
        wanted = [i for i in ids if i.startswith(prefix)]
        if wanted:
            rows = remote.retrieve(sobject, wanted, field_names(sobject, field))
            found += [Record.parse(r, sobject, field) for r in rows if r is not None]
    return found


def next_marks(started: datetime) -> dict[str, str]:
    """The watermarks after a pull that read every page: its own start less the nightly's
    overlap, so a write landing mid-pull is read again next time."""
    return dict.fromkeys(TYPES, soql_datetime(started - OVERLAP))


def _soql(sobject: str, field: str, since: str | None) -> str:
    where = f" WHERE SystemModstamp > {since}" if since else ""
    return (f"SELECT {select_list(sobject, field)} FROM {sobject}{where}"
            " ORDER BY SystemModstamp, Id")
