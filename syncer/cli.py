"""The `syncer` command: a thin layer over `syncer.service.Syncer`.

Every known failure (bad input, configuration, Salesforce) ends in one line naming the fix
and exit code 1, never a traceback (set SYNCER_DEBUG=1 to see one for an unexpected error).

Adding commands from other modules: put them in a module named `syncer/cli_<name>.py` that
defines `commands` (a list of click commands); they are added to `main` on import. Inside a
command, `@pass_syncer` hands over the shared `Syncer`. Or call `main.add_command(cmd)`.
"""

from __future__ import annotations

import getpass
import importlib
import json
import os
import pkgutil
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

import click

from .config import ConfigError, load_config
from .push import PushReport, push_field
from .salesforce import SalesforceError
from .service import CaptureOutcome, Syncer
from .store import FIELD_CHOICES, SOURCES, StoreError

KNOWN_ERRORS = (StoreError, SalesforceError, ConfigError)


class SyncerGroup(click.Group):
    """A group whose commands fail with one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KNOWN_ERRORS as problem:
            raise click.ClickException(str(problem)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, EOFError):
            raise
        except Exception as problem:
            if os.environ.get("SYNCER_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected error ({type(problem).__name__}: {problem}): please report it;"
                " rerun with SYNCER_DEBUG=1 to see the details") from None


class State:
    """What commands share: the config file path, and the Syncer opened on first use."""

    def __init__(self, config_path: str | None = None, syncer: Syncer | None = None):
        self.config_path = config_path
        self._syncer = syncer

    @property
    def syncer(self) -> Syncer:
        if self._syncer is None:
            self._syncer = Syncer(load_config(self.config_path))
            click.get_current_context().call_on_close(self._syncer.close)
        return self._syncer


def pass_syncer(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command to receive the shared Syncer as its first argument."""

    @click.pass_context
    def run(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(command, ctx.find_object(State).syncer, *args, **kwargs)

    return update_wrapper(run, command)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _actor() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@click.group(cls=SyncerGroup)
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="SYNCER_CONFIG",
              help="TOML config file (environment variables override it).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Keep Sales Connect unsubscribes and Salesforce opt-outs in agreement."""
    if ctx.obj is None:
        ctx.obj = State(config_path)


# -- settings -----------------------------------------------------------------------------------


ON_OFF = click.Choice(["on", "off"])


@main.command()
@click.option("--nightly-sync", type=ON_OFF, help="Unsubscribe sync to Salesforce (the nightly run).")
@click.option("--field", type=click.Choice(FIELD_CHOICES), help="The Salesforce field to sync.")
@click.option("--marketo-field-api-name", metavar="NAME",
              help="API name of the Marketo Sales Opt Out field in your org.")
@click.option("--honour-salesforce-resubscribes", type=ON_OFF,
              help="Let a cleared opt-out in Salesforce resubscribe the person here.")
@click.option("--fan-out-by-email", type=ON_OFF,
              help="Write every Contact and Lead with the person's email, not just the linked"
                   " record.")
@click.option("--bulk-threshold", metavar="N",
              help="Records above which the nightly run uses Bulk API 2.0.")
@click.option("--api-reserve-percent", metavar="P",
              help="Percent of the daily API allocation the nightly run leaves unused.")
@click.option("--stale-hours", metavar="H",
              help="Hours an opt-out may wait for Salesforce before doctor fails.")
@pass_syncer
def settings(syncer: Syncer, **options: str | None) -> None:
    """Show or change the unsubscribe settings."""
    changes: dict[str, Any] = {}
    for name, value in options.items():
        if value is not None:
            changes[name] = value == "on" if value in ("on", "off") else value
    current = syncer.settings(actor=_actor(), **changes)
    click.echo(f"nightly sync: {_on(current.nightly_sync)}")
    click.echo(f"field: {current.field} ({current.field_api_name})")
    click.echo(f"marketo field API name: {current.marketo_field_api_name}")
    click.echo(f"real-time pushes write: {push_field(current)}")
    click.echo(f"honour Salesforce resubscribes: {_on(current.honour_salesforce_resubscribes)}")
    click.echo(f"fan out by email: {_on(current.fan_out_by_email)}")
    click.echo(f"bulk threshold: {current.bulk_threshold} records")
    click.echo(f"API reserve: {current.api_reserve_percent:g}%")
    click.echo(f"stale after: {current.stale_hours:g} hours")


def _on(value: bool) -> str:
    return "on" if value else "off"


# -- people -------------------------------------------------------------------------------------


@main.group(cls=SyncerGroup)
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
@pass_syncer
def list_(syncer: Syncer, without_id: bool, limit: int | None) -> None:
    """List people: email, Salesforce ID and type, opt-out, push state."""
    states = {item.person_id: item.state for item in syncer.store.list_outbox()}
    shown = syncer.people(without_id=without_id, limit=limit)
    for person in shown:
        push = states.get(person.id, "-")
        if push == "pending" and person.salesforce_id is None:
            push = "waiting for ID"
        click.echo(f"{person.email}\t{person.salesforce_id or '-'}\t"
                   f"{person.salesforce_type or '-'}\t"
                   f"{'opted out' if person.opted_out else 'subscribed'}\t{push}")
    click.echo(f"{len(shown)} people", err=True)


# -- capture ------------------------------------------------------------------------------------


@main.command()
@click.argument("email")
@click.option("--source", type=click.Choice(SOURCES), default="manual", show_default=True,
              help="Where the unsubscribe came from.")
@click.option("--reason", help="Why (saved in the person's history).")
@click.option("--salesforce-id", help="The person's Contact or Lead ID, if known.")
@pass_syncer
def unsubscribe(syncer: Syncer, email: str, source: str, reason: str | None,
                salesforce_id: str | None) -> None:
    """Unsubscribe EMAIL and push it to Salesforce at once."""
    _echo_capture(syncer.unsubscribe(email, salesforce_id, source=source, reason=reason,
                                     actor=_actor()), syncer)


@main.command()
@click.argument("email")
@click.option("--reason", required=True, help="Why the person may be emailed again.")
@click.option("--salesforce-id", help="The person's Contact or Lead ID, if known.")
@pass_syncer
def resubscribe(syncer: Syncer, email: str, reason: str, salesforce_id: str | None) -> None:
    """Resubscribe EMAIL (clears the opt-out on both sides); needs a reason."""
    _echo_capture(syncer.resubscribe(email, salesforce_id, reason=reason, actor=_actor()),
                  syncer)


def _echo_capture(outcome: CaptureOutcome, syncer: Syncer) -> None:
    verb = "unsubscribed" if outcome.opted_out else "resubscribed"
    again = " (already captured)" if outcome.duplicate else ""
    if outcome.reached_salesforce:
        field_name = push_field(syncer.settings())
        click.echo(f"{verb} {outcome.email}{again}; Salesforce {outcome.salesforce_id} has"
                   f" {field_name} = {str(outcome.opted_out).lower()}")
        return
    click.echo(f"{verb} {outcome.email}{again}; saved, not in Salesforce yet")
    click.echo(f"{outcome.state}: {outcome.error} -> {outcome.fix}", err=True)


# -- push, status, doctor -----------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--wait", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Seconds to keep retrying changes whose retry comes due.")
@click.option("--retry-failed", is_flag=True, help="Queue failed pushes again first.")
@pass_syncer
def push(syncer: Syncer, as_json: bool, wait: float, retry_failed: bool) -> None:
    """Send every queued change to Salesforce (200 per API call)."""
    report = syncer.push(wait=wait, retry_failed=retry_failed)
    if as_json:
        _echo_json(report.to_json())
    else:
        _echo_push(report)
    if not report.ok:
        click.get_current_context().exit(1)


def _echo_push(report: PushReport) -> None:
    click.echo(f"pushed {report.pushed} change(s) in {report.batches} batch(es),"
               f" {report.api_calls} API call(s); {report.pending} pending,"
               f" {report.waiting_for_id} waiting for a Salesforce ID")
    for move in report.relinked:
        click.echo(f"  relinked {move.email}: {move.why}")
    for failure in report.failed:
        click.echo(f"  failed {failure.email} ({failure.salesforce_id}): {failure.error}"
                   f" -> fix: {failure.fix}", err=True)
    if report.error:
        click.echo(f"stopped: {report.error}", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@pass_syncer
def status(syncer: Syncer, as_json: bool) -> None:
    """Show people, queued and failed pushes, and the last sync run (no Salesforce call)."""
    state = syncer.status()
    if as_json:
        _echo_json(state.to_json())
        return
    settings_ = state.settings
    click.echo(f"Salesforce: {state.config['login_url']}; store: {state.config['db']}")
    click.echo(f"nightly sync: {'on' if settings_['nightly_sync'] else 'off'};"
               f" pushes write {state.push_field}")
    click.echo(f"people: {state.people} ({state.opted_out} opted out,"
               f" {state.without_salesforce_id} without a Salesforce ID)")
    click.echo(f"pushes: {state.pending} pending, {state.waiting_for_id} waiting for a"
               f" Salesforce ID, {state.failed_count} failed")
    for failure in state.failed:
        click.echo(f"  failed {failure['email']}: {failure['error']} -> fix: {failure['fix']}")
    if state.oldest_unconfirmed_opt_out:
        alert = " (STALE: check syncer doctor)" if state.stale else ""
        click.echo(f"oldest unconfirmed opt-out: {state.oldest_unconfirmed_opt_out}{alert}")
    if state.stale_count:
        click.echo(f"STALE: {state.stale_count} opt-out(s) waited more than"
                   f" {settings_['stale_hours']:g} hours for Salesforce to confirm them"
                   " -> fix: run `syncer push` and fix its last error (`syncer doctor`)")
        for item in state.stale_opt_outs:
            error = f"; last error: {item['error']}" if item["error"] else ""
            click.echo(f"  waiting since {item['waiting_since']}: {item['email']}"
                       f" ({item['salesforce_id'] or 'no Salesforce ID'}, {item['state']}{error})")
    if state.last_run:
        run = state.last_run
        click.echo(f"last sync run: {run['started_at']} {run['status']}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@pass_syncer
def doctor(syncer: Syncer, as_json: bool) -> None:
    """Check every requirement; exit code 0 only when none fails."""
    report = syncer.doctor()
    if as_json:
        _echo_json(report.to_json())
    else:
        for check in report.checks:
            click.echo(check.line())
    if not report.ok:
        click.get_current_context().exit(1)


# -- commands from other modules ----------------------------------------------------------------


def _add_plugin_commands() -> None:
    """Add the `commands` of every syncer/cli_<name>.py module."""
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("cli_"):
            loaded = importlib.import_module(f"{__package__}.{module.name}")
            for command in getattr(loaded, "commands", []):
                main.add_command(command)


_add_plugin_commands()
