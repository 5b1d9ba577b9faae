"""Requirement checks (`syncer doctor`): one line per requirement, pass, warn or fail, with a fix.

The requirements: Salesforce credentials work; unsubscribe sync is enabled (only the nightly
sync needs it); the opt-out field exists on Contact and Lead and the integration user can edit
it; each person has a Salesforce ID; the field is on the Contact and Lead page layouts (a
warning only); API calls remain in the daily allocation; no opt-out has waited more than
`stale_hours` for Salesforce to confirm it. When the login fails, the Salesforce checks are
left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from .config import ConfigError
from .push import push_field
from .salesforce import SalesforceClient, SalesforceError
from .store import EMAIL_OPT_OUT_FIELD, Settings, Store

PASS, WARN, FAIL = "pass", "warn", "fail"
TYPES = ("Contact", "Lead")
EXAMPLES = 5
LOW_ALLOCATION = 0.10
MARKETO_LABELS = ("marketo sales opt out", "mse - opt out")


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    message: str
    fix: str | None = None

    def line(self) -> str:
        fix = f" -> fix: {self.fix}" if self.fix and self.status != PASS else ""
        return f"[{self.status.upper()}] {self.name}: {self.message}{fix}"


@dataclass
class DoctorReport:
    checks: list[Check]

    @property
    def logged_in(self) -> bool:
        return bool(self.checks) and self.checks[0].status == PASS

    @property
    def ok(self) -> bool:
        """True when no check failed (warnings allowed)."""
        return all(check.status != FAIL for check in self.checks)

    def to_json(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(check) for check in self.checks]}


def run_doctor(store: Store, client: SalesforceClient) -> DoctorReport:
    settings = store.get_settings()
    login = _credentials(client)
    if login.status != PASS:
        return DoctorReport([login, _nightly(settings), _people(store), _stale(store)])
    checks = [login, _nightly(settings)]
    described: dict[str, dict[str, dict]] = {}
    for sobject in TYPES:
        try:
            described[sobject] = {f["name"]: f for f in client.describe(sobject)["fields"]}
        except SalesforceError as problem:
            checks.append(Check(f"{sobject} fields", FAIL, problem.what, problem.fix))
    for name in fields_to_check(settings):
        checks.extend(_field(sobject, name, fields) for sobject, fields in described.items())
    checks.append(_people(store))
    checks.append(_stale(store))
    chosen = settings.field_api_name
    for sobject, fields in described.items():
        if chosen in fields:  # a missing field has failed above; no layout check for it
            checks.append(_guarded(f"{sobject} page layout",
                                   lambda s=sobject: _layout(client, s, chosen)))
    checks.append(_guarded("API allocation", lambda: _allocation(client)))
    return DoctorReport(checks)


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except SalesforceError as problem:
        return Check(name, FAIL, problem.what, problem.fix)


def _credentials(client: SalesforceClient) -> Check:
    config = client.config
    try:
        method = config.auth_method
        client.connect()
    except SalesforceError as problem:
        return Check("Salesforce login", FAIL, problem.what, problem.fix)
    except ConfigError as problem:
        return Check("Salesforce login", FAIL, str(problem))
    who = config.username or f"connected app {config.client_id}"
    return Check("Salesforce login", PASS,
                 f"logged in to {client.instance_url} as {who} ({method})")


def _nightly(settings: Settings) -> Check:
    if settings.nightly_sync:
        return Check("unsubscribe sync", PASS,
                     f"on: the nightly sync keeps {settings.field_api_name} in agreement")
    return Check("unsubscribe sync", WARN,
                 "off: the nightly sync does not run; real-time pushes set Email Opt Out"
                 f" ({EMAIL_OPT_OUT_FIELD})", "syncer settings --nightly-sync on")


def fields_to_check(settings: Settings) -> list[str]:
    """The chosen field, and the field pushes write if that is another one."""
    return list(dict.fromkeys([settings.field_api_name, push_field(settings)]))


def _field(sobject: str, name: str, described: dict[str, dict]) -> Check:
    check = f"{sobject}.{name}"
    found = described.get(name)
    if found is None:
        if name == EMAIL_OPT_OUT_FIELD:
            return Check(check, FAIL, "the integration user cannot see Email Opt Out",
                         f"grant the integration user read and edit access (field-level"
                         f" security) to Email Opt Out on {sobject}")
        labelled = [f["name"] for f in described.values()
                    if str(f.get("label", "")).lower() in MARKETO_LABELS
                    and f.get("type") == "boolean"]
        if labelled:
            return Check(check, FAIL, f"no such field; {labelled[0]} is labelled"
                         f" {described[labelled[0]]['label']!r}",
                         f"syncer settings --marketo-field-api-name {labelled[0]}")
        return Check(check, FAIL, "the field does not exist (or the integration user cannot"
                     " see it)", "install the Marketo Sales Connect package (Marketo Sales"
                     " Connect Customizations) in Salesforce, or switch the field to Email"
                     " Opt Out: syncer settings --field email-opt-out")
    if found.get("type") != "boolean":
        return Check(check, FAIL, f"is a {found.get('type')} field, not a checkbox",
                     "choose the opt-out checkbox: syncer settings --marketo-field-api-name"
                     " NAME, or --field email-opt-out")
    if not found.get("updateable"):
        return Check(check, FAIL, "exists but the integration user cannot edit it",
                     f"grant the integration user edit access (field-level security) to"
                     f" {found.get('label', name)} ({name}) on {sobject}")
    return Check(check, PASS, f"{found.get('label', name)} exists and the integration user"
                 " can edit it")


def _people(store: Store) -> Check:
    total = store.count_people()
    missing = store.count_without_sfid()
    waiting = store.count_pending_without_sfid()
    if total == 0:
        return Check("Salesforce IDs", WARN, "no people yet",
                     "syncer people import FILE.csv")
    if missing == 0:
        return Check("Salesforce IDs", PASS, f"all {total} people have a Salesforce ID")
    examples = ", ".join(p.email for p in store.people_without_salesforce_id(limit=EXAMPLES))
    more = ", ..." if missing > EXAMPLES else ""
    message = f"{missing} of {total} people have no Salesforce ID ({examples}{more})"
    fix = ("syncer people link (finds them by email), or import their IDs:"
           " syncer people import FILE.csv")
    if waiting:
        return Check("Salesforce IDs", FAIL, f"{message}; {waiting} unsubscribe change(s)"
                     " cannot reach Salesforce until they are linked", fix)
    return Check("Salesforce IDs", WARN, message, fix)


def _stale(store: Store) -> Check:
    """FAIL when an opt-out has waited more than `stale_hours` for Salesforce's confirmation."""
    hours = store.get_settings().stale_hours
    stale = store.stale_opt_outs()
    if not stale:
        return Check("unconfirmed opt-outs", PASS,
                     f"no opt-out has waited more than {hours:g} hours for Salesforce")
    oldest = stale[0]
    examples = ", ".join(item.email for item in stale[:EXAMPLES])
    more = ", ..." if len(stale) > EXAMPLES else ""
    error = next((item.last_error for item in stale if item.last_error), None)
    message = (f"{len(stale)} opt-out(s) have waited more than {hours:g} hours for Salesforce"
               f" to confirm them, the oldest since {oldest.created_at} ({examples}{more})")
    fix = ("run `syncer push` and fix what stops it"
           + (f" (its last error: {error})" if error else "")
           + "; `syncer status` lists them")
    return Check("unconfirmed opt-outs", FAIL, message, fix)


def _layout(client: SalesforceClient, sobject: str, field_name: str) -> Check:
    name = f"{sobject} page layout"
    answer = client.describe_layouts(sobject)
    layouts = answer.get("layouts")
    if layouts is None:  # several record types: one layout per record type
        layouts = [client.describe_layouts(sobject, mapping["recordTypeId"])
                   for mapping in answer.get("recordTypeMappings") or []]
    if layouts and all(field_name in _layout_fields(layout) for layout in layouts):
        return Check(name, PASS, f"{field_name} is on the {sobject} page layout")
    return Check(name, WARN, f"{field_name} is not on the {sobject} page layout, so people"
                 " cannot see it", f"Setup > Object Manager > {sobject} > Page Layouts > Edit,"
                 " drag the field onto the layout, Save")


def _layout_fields(layout: dict) -> set[str]:
    return set(_walk_fields(layout.get("detailLayoutSections") or []))


def _walk_fields(sections: list[dict]) -> Iterator[str]:
    for section in sections:
        for row in section.get("layoutRows") or []:
            for item in row.get("layoutItems") or []:
                for component in item.get("layoutComponents") or []:
                    if component.get("type") == "Field":
                        yield component.get("value")


def _allocation(client: SalesforceClient) -> Check:
    daily = client.limits().get("DailyApiRequests") or {}
    maximum, remaining = int(daily.get("Max", 0)), int(daily.get("Remaining", 0))
    message = f"{remaining} of {maximum} daily API calls remain"
    fix = ("ask the Salesforce admin to raise the org's API limit, or wait: the allocation"
           " is a rolling 24 hours")
    if remaining <= 0:
        return Check("API allocation", FAIL, message + "; pushes wait until calls return", fix)
    if remaining < maximum * LOW_ALLOCATION:
        return Check("API allocation", WARN, message + " (under 10%)", fix)
    return Check("API allocation", PASS, message)
