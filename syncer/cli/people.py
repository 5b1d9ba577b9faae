"""`syncer people import|link|list`."""

from __future__ import annotations

import click

from ..service import Syncer
from ..store import Person
from .base import SyncerGroup, _echo_json, pass_syncer
from .push import _echo_push


@click.group(cls=SyncerGroup)
def people() -> None:
    """Import, link and list people."""


@people.command("import")
@click.argument("path", metavar="FILE.csv", type=click.Path(dir_okay=False))
@pass_syncer
def import_(syncer: Syncer, path: str) -> None:
    """Import people from a CSV file: email, salesforce_id, first_name, last_name."""
    report = syncer.import_people(path)
    lines = [f"line {line}: {message}" if line > 1 else message
             for line, message in report.errors]
    if len(lines) == 1 and not (report.imported or report.updated):
        raise click.ClickException(lines[0])  # e.g. the file or its header is unusable
    for line in lines:
        click.echo(line, err=True)
    click.echo(f"imported {report.imported} new, updated {report.updated}")
    if report.errors:
        raise click.ClickException(
            f"{len(report.errors)} row(s) skipped: fix them and import the file again"
            " (good rows were kept)")


@people.command()
@pass_syncer
def link(syncer: Syncer) -> None:
    """Find Salesforce IDs by email (Contacts first, then unconverted Leads)."""
    outcome = syncer.link()
    report = outcome.link
    by_type: dict[str, int] = {}
    for found in report.linked:
        by_type[found.type] = by_type.get(found.type, 0) + 1
    kinds = ", ".join(f"{n} {t}s" for t, n in sorted(by_type.items()))
    click.echo(f"looked up {report.looked_up}, linked {len(report.linked)}"
               + (f" ({kinds})" if kinds else "") + f" in {report.api_calls} API calls")
    for found in report.ambiguous:
        click.echo(f"  {found.email}: {found.candidates} {found.type}s share this email;"
                   f" linked {found.salesforce_id}, the most recently modified")
    if report.not_found_count:
        more = ", ..." if report.not_found_count > len(report.not_found) else ""
        click.echo(f"not found in Salesforce: {report.not_found_count}"
                   f" ({', '.join(report.not_found)}{more}): import their IDs with"
                   " syncer people import FILE.csv")
    for email in report.conflicts:
        click.echo(f"  {email}: the matching record is linked to another person")
    if outcome.push is not None:
        _echo_push(outcome.push)


@people.command("list")
@click.option("--without-id", is_flag=True, help="Only people without a Salesforce ID.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print the people as a JSON array.")
@pass_syncer
def list_(syncer: Syncer, without_id: bool, limit: int | None, as_json: bool) -> None:
    """List people: email, Salesforce ID and type, opt-out, push state."""
    states = {item.person_id: item.state for item in syncer.store.list_outbox()}
    shown = syncer.people(without_id=without_id, limit=limit)
    if as_json:
        _echo_json([{"email": p.email, "salesforce_id": p.salesforce_id,
                     "salesforce_type": p.salesforce_type, "opted_out": p.opted_out,
                     "push": _push_state(states, p)} for p in shown])
        return
    for person in shown:
        push = _push_state(states, person) or "-"
        click.echo(f"{person.email}\t{person.salesforce_id or '-'}\t"
                   f"{person.salesforce_type or '-'}\t"
                   f"{'opted out' if person.opted_out else 'subscribed'}\t{push}")
    click.echo(f"{len(shown)} people", err=True)


def _push_state(states: dict[int, str], person: Person) -> str | None:
    """'pending', 'failed', 'waiting for ID', or None when nothing waits."""
    push = states.get(person.id)
    if push == "pending" and person.salesforce_id is None:
        return "waiting for ID"
    return push
