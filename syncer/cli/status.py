"""`syncer status` (the local picture) and `syncer doctor` (every requirement checked)."""

from __future__ import annotations

import click

from ..service import Syncer
from ..stream.listener import stream_line
from .base import _echo_json, pass_syncer


@click.command()
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
    for waiting in state.retrying:
        click.echo(f"  pending {waiting['email']}: {waiting['error']}")
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
    click.echo(stream_line(state.stream))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.option("--write-test", is_flag=True,
              help="Also write each synced field's current value back to one linked Contact"
                   " and one Lead (no value changes), so a validation rule, trigger, field"
                   " security or sharing rule that would block pushes shows now.")
@pass_syncer
def doctor(syncer: Syncer, as_json: bool, write_test: bool) -> None:
    """Check every requirement; exit code 0 only when none fails."""
    report = syncer.doctor(write_test=write_test)
    if as_json:
        _echo_json(report.to_json())
    else:
        for check in report.checks:
            click.echo(check.line())
    if not report.ok:
        click.get_current_context().exit(1)
