"""`syncer demo`: the product's story, end to end, against a fresh emulated org.

It starts sfmock over HTTPS on a free loopback port (its CA trusted only by this process),
installs the Marketo Sales Connect package, imports and links the fixture people, then walks
the requirement checks, real-time pushes, the field choice and a nightly sync.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import requests
from simple_salesforce import Salesforce

from sfmock import Org, load_fixtures
from sfmock.models.fixtures import DEFAULT_FIXTURES
from sfmock.server import Server
from sfmock.testing import PASSWORD, TOKEN, USERNAME

from .config import Config
from .service import Syncer
from .store import EMAIL_OPT_OUT_FIELD

PACKAGE = "marketo-sales-connect"
LABELS = {EMAIL_OPT_OUT_FIELD: "Email Opt Out"}
MARKETO_LABEL = "Marketo Sales Opt Out"
ADMIN = ("admin@sfmock.dev", "sfmock-admin-password", "sfmock-admin-token")


@dataclass
class DemoResult:
    people: int = 0
    opted_out_here: int = 0
    opted_out_in_salesforce: dict[str, int] = field(default_factory=dict)
    opted_out_at_start: int = 0  # records the sample org had opted out before the demo
    api_calls: int = 0
    push_latency_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0
    ok: bool = True


class Demo:
    """One walk through the story; `say` prints a line per step."""

    def __init__(self, workdir: Path, say: Callable[[str], None]):
        self.workdir = workdir
        self.say = say
        self.result = DemoResult()
        self._stack = ExitStack()
        self.labels = dict(LABELS)
        self._named: set[str] = set()  # fields whose API name was shown once already

    # -- set-up ----------------------------------------------------------------------------

    def start(self) -> None:
        self.org = Org(self.workdir / "org.db")
        load_fixtures(self.org, DEFAULT_FIXTURES)
        self.org.install_package(PACKAGE)
        self.result.opted_out_at_start = sum(self._count_opted_out(sobject, EMAIL_OPT_OUT_FIELD)
                                             for sobject in ("Contact", "Lead"))
        self.server = self._stack.enter_context(
            Server(self.org, "127.0.0.1", 0, tls=True, cert_dir=self.workdir / "certs",
                   log_requests=False))
        self._stack.callback(self.org.close)
        self.say(f"Salesforce emulator up at {self.server.url} (HTTPS; CA {self.server.ca_path},"
                 " trusted by this process only)")
        self.say(f"Installed the package '{PACKAGE}': Contact and Lead gain "
                 "'Marketo Sales Opt Out'")
        config = Config(db=str(self.workdir / "syncer.db"), login_url=self.server.url,
                        username=USERNAME, password=PASSWORD, security_token=TOKEN,
                        ca_bundle=str(self.server.ca_path))
        self.syncer = self._stack.enter_context(Syncer(config))
        report = self.syncer.import_people(DEFAULT_FIXTURES / "people.csv")
        self.say(f"Imported {report.imported} people from the Sales Connect export "
                 f"({len(report.errors)} bad rows)")
        linked = self.syncer.link(push=False)
        self.say("Linked people to Salesforce by email: " + _link_line(linked))
        self.admin = Salesforce(
            username=ADMIN[0], password=ADMIN[1], security_token=ADMIN[2],
            domain=f"{self.server.url.removeprefix('https://')}/login",
            session=_trusting(self.server.ca_path))

    def close(self) -> None:
        self._stack.close()

    # -- the story -------------------------------------------------------------------------

    def requirements(self) -> None:
        self.say("")
        self.say("1. Requirement checks (syncer doctor)")
        self._doctor()
        missing = [s for s in ("Contact", "Lead")
                   if not self.org.layouts.has_field(s, EMAIL_OPT_OUT_FIELD)]
        for sobject in missing:
            self.org.layouts.add_field(sobject, EMAIL_OPT_OUT_FIELD)
            self.say(f"   fixed: an admin added Email Opt Out to the {sobject} page layout "
                     "(Setup > Object Manager > Page Layouts)")
        if missing:
            self._doctor(only="page layout")

    def push_email_opt_out(self) -> None:
        self.say("")
        self.say("2. Real-time push with unsubscribe sync OFF: lands on Email Opt Out")
        self._unsubscribe(self._linked_person("Contact"), EMAIL_OPT_OUT_FIELD, "link")

    def push_marketo_field(self) -> None:
        self.say("")
        self.say("3. Sync ON with the Marketo Sales Opt Out field")
        settings = self.syncer.settings(nightly_sync=True, field="marketo-sales-opt-out",
                                        actor="demo")
        self.marketo = settings.field_api_name
        self.labels[self.marketo] = MARKETO_LABEL
        self.say(f"   settings: nightly sync on, field {self.label(self.marketo)}")
        for sobject in ("Contact", "Lead"):
            self.org.layouts.add_field(sobject, self.marketo)
        self.say("   an admin put Marketo Sales Opt Out on the Contact and Lead layouts")
        self._doctor(only="page layout")
        self.pushed_lead = self._linked_person("Lead")
        self._unsubscribe(self.pushed_lead, self.marketo, "manual")

    def salesforce_changes_and_nightly(self) -> None:
        self.say("")
        self.say("4. Changes made directly in Salesforce, then the nightly sync")
        checked = self._linked_person("Contact", opted_out=False)
        self.admin.Contact.update(checked.salesforce_id, {self.marketo: True})
        self.say(f"   in Salesforce: {checked.email} checked Marketo Sales Opt Out")
        self.admin.Lead.update(self.pushed_lead.salesforce_id, {self.marketo: False})
        self.say(f"   in Salesforce: {self.pushed_lead.email} unchecked it (no resubscribe "
                 "was asked for here)")
        convert = self._linked_person("Lead", opted_out=False)
        self._unsubscribe(convert, self.marketo, "manual", "asked on a call")
        converted = self.org.convert_lead(convert.salesforce_id)
        self.say(f"   in Salesforce: the Lead of {convert.email} was converted into Contact "
                 f"{converted['contactId']}")
        report = self.syncer.nightly(trigger="demo")
        for decision in self._decisions(report.run_id):
            self.say("   " + decision)
        for line in report.summary().splitlines():
            self.say("   " + line)
        self.result.ok &= not report.failed
        self.checked, self.convert = checked, convert

    def summary(self) -> DemoResult:
        store = self.syncer.store
        self.result.people = store.count_people()
        self.result.opted_out_here = store.count_opted_out()
        for sobject in ("Contact", "Lead"):
            for name in (EMAIL_OPT_OUT_FIELD, self.marketo):
                self.result.opted_out_in_salesforce[f"{sobject} {self.labels[name]}"] = (
                    self._count_opted_out(sobject, name))
        self.result.api_calls = self.org.api_usage()[0]
        return self.result

    # -- helpers ---------------------------------------------------------------------------

    def label(self, api_name: str) -> str:
        """A field by its label, with its API name the first time it is shown."""
        if api_name in self._named:
            return self.labels.get(api_name, api_name)
        self._named.add(api_name)
        return f"{self.labels.get(api_name, api_name)} ({api_name})"

    def _count_opted_out(self, sobject: str, name: str) -> int:
        return self.org.db.execute(
            f'SELECT count(*) FROM "{sobject}" WHERE IsDeleted = 0 AND "{name}" = 1'
        ).fetchone()[0]

    def _decisions(self, run_id: int | None) -> list[str]:
        """One line per decision the run logged (with its reason), agreements left out."""
        return [f"{event['email']}: {event['details']['kind']} ({event['reason']})"
                for event in self.syncer.store.run_decisions(run_id)]

    def _doctor(self, only: str | None = None) -> None:
        report = self.syncer.doctor()
        for check in report.checks:
            if only is None or only in check.name:
                self.say("   " + check.line())

    def _linked_person(self, sobject: str, opted_out: bool = False):
        for person in self.syncer.people():
            if (person.salesforce_type == sobject and person.opted_out == opted_out
                    and self._sf_value(person, EMAIL_OPT_OUT_FIELD) is False
                    and not self._converted(person)):
                return person
        raise RuntimeError(f"the default org has no linked {sobject} left for the demo")

    def _converted(self, person) -> bool:
        return person.salesforce_type == "Lead" and bool(
            self.org.get("Lead", person.salesforce_id)["IsConverted"])

    def _sf_value(self, person, name: str) -> bool:
        row = self.org.get(person.salesforce_type, person.salesforce_id)
        return bool(row[name])

    def _unsubscribe(self, person, field_name: str, source: str,
                     reason: str = "clicked unsubscribe in an email") -> None:
        started = time.perf_counter()
        outcome = self.syncer.unsubscribe(person.email, source=source, reason=reason)
        latency = (time.perf_counter() - started) * 1000
        landed = self._sf_value(person, field_name)
        self.result.push_latency_ms.append(latency)
        self.result.ok &= landed and outcome.reached_salesforce
        self.say(f"   here: {person.email} unsubscribed ({reason}) -> {person.salesforce_type} "
                 f"{person.salesforce_id} {self.label(field_name)} = {landed} in Salesforce "
                 f"({latency:.0f} ms from capture to confirmation)")


def _trusting(ca_path: Path) -> requests.Session:
    """A session trusting only the emulator's CA (environment CA bundles ignored)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(ca_path)
    return session


def _link_line(linked) -> str:
    report = linked.link
    return (f"{len(report.linked)} linked, {report.not_found_count} not in Salesforce "
            f"({', '.join(report.not_found[:3])}), {report.api_calls} API calls")


def run_demo(say: Callable[[str], None], *, keep: Callable[[Demo], None] | None = None,
             workdir: Path | None = None) -> DemoResult:
    """Run the whole story; `keep(demo)` is called before shutting down (for --keep)."""
    started = time.perf_counter()
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="syncer-demo-")))
        demo = Demo(workdir, say)
        stack.callback(demo.close)
        demo.start()
        demo.requirements()
        demo.push_email_opt_out()
        demo.push_marketo_field()
        demo.salesforce_changes_and_nightly()
        result = demo.summary()
        result.seconds = time.perf_counter() - started
        _table(say, result)
        if keep is not None:
            keep(demo)
    return result


def _table(say: Callable[[str], None], result: DemoResult) -> None:
    say("")
    say("5. Summary")
    rows = [("people", str(result.people)),
            ("opted out in Sales Connect", str(result.opted_out_here))]
    rows += [(f"opted out in Salesforce: {k}", str(v))
             for k, v in result.opted_out_in_salesforce.items()]
    there = sum(result.opted_out_in_salesforce.values())
    latencies = ", ".join(f"{ms:.0f} ms" for ms in result.push_latency_ms)
    rows += [("real-time push latency", latencies),
             ("API calls used", str(result.api_calls)),
             ("wall time", f"{result.seconds:.1f} s")]
    width = max(len(k) for k, _ in rows)
    say("   +-" + "-" * width + "-+-" + "-" * 24 + "-+")
    for key, value in rows:
        say(f"   | {key.ljust(width)} | {value.ljust(24)} |")
    say("   +-" + "-" * width + "-+-" + "-" * 24 + "-+")
    say(f"   Why {result.opted_out_here} here and {there} in Salesforce: the sample org started"
        f" with {result.opted_out_at_start} records opted out in Email Opt Out, which the sync"
        " (now on Marketo Sales Opt Out) leaves alone, and Salesforce counts each checkbox of"
        " each record where Sales Connect counts each person once.")
