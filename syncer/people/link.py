"""Linking people to Salesforce: find each unlinked person's Contact or Lead by email.

Contacts are looked up first; people still unmatched are looked up among unconverted Leads.
Emails go to Salesforce in `WHERE Email IN (...)` chunks (values escaped with format_soql),
so linking N people costs about N/200 queries per type. When several records share an email
the most recently modified one is linked and the person is reported as ambiguous. Each link is
a logged 'link' event, and the person's waiting push is queued again for the new record.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from simple_salesforce import format_soql

from ..salesforce import COLLECTION_LIMIT, SalesforceClient
from ..salesforce.soql import in_chunks
from ..store import Person, SalesforceIdInUse, Store

CHUNK_CHARS = 8000  # keeps each query's URL well under Salesforce's 16,384-byte limit
EXAMPLES = 5
QUERIES = (
    ("Contact", "SELECT Id, Email FROM Contact WHERE Email IN {emails}"
                " ORDER BY LastModifiedDate DESC, Id"),
    ("Lead", "SELECT Id, Email FROM Lead WHERE IsConverted = false AND Email IN {emails}"
             " ORDER BY LastModifiedDate DESC, Id"),
)


@dataclass(frozen=True)
class Link:
    email: str
    salesforce_id: str
    type: str
    candidates: int


@dataclass
class LinkReport:
    """What a link run did; `not_found` and `conflicts` list up to EXAMPLES emails each."""

    looked_up: int = 0
    linked: list[Link] = field(default_factory=list)
    not_found_count: int = 0
    not_found: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    api_calls: int = 0

    @property
    def ambiguous(self) -> list[Link]:
        return [link for link in self.linked if link.candidates > 1]

    def to_json(self) -> dict:
        return {**asdict(self), "ambiguous": [asdict(a) for a in self.ambiguous]}


def link_people(store: Store, client: SalesforceClient) -> LinkReport:
    """Give every person without a Salesforce ID the ID of their Contact or Lead, by email."""
    report = LinkReport()
    calls = client.calls
    waiting = {p.email: p for p in store.iter_people() if p.salesforce_id is None}
    report.looked_up = len(waiting)
    for sobject, soql in QUERIES:
        if not waiting:
            break
        matches: dict[str, list[str]] = {}
        for chunk in in_chunks(sorted(waiting), CHUNK_CHARS, COLLECTION_LIMIT):
            query = format_soql(soql, emails=chunk)
            for row in client.query_all_iter(query):
                email = (row.get("Email") or "").strip().lower()
                if email in waiting:
                    matches.setdefault(email, []).append(row["Id"])
        for email, ids in matches.items():
            _link(store, report, waiting.pop(email), sobject, ids)
    report.not_found_count = len(waiting)
    report.not_found = sorted(waiting)[:EXAMPLES]
    report.api_calls = client.calls - calls
    return report


def _link(store: Store, report: LinkReport, person: Person, sobject: str,
          ids: list[str]) -> None:
    reason = f"found by email among {sobject}s"
    if len(ids) > 1:
        reason += f"; {len(ids)} share it, linked the most recently modified"
    try:
        store.set_salesforce_id(person.id, ids[0], source="salesforce", reason=reason)
    except SalesforceIdInUse:
        if len(report.conflicts) < EXAMPLES:
            report.conflicts.append(person.email)
        return
    report.linked.append(Link(person.email, ids[0], sobject, len(ids)))
