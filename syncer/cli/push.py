"""`syncer push`: send every queued change to Salesforce.

Exit statuses: 0 every change it could send reached Salesforce; 3 some did not (they stay
queued or failed, nothing is lost; stderr says why and what to do); 1 an error before any push.
"""

from __future__ import annotations

import click

from ..push import PushReport
from ..service import Syncer
from .base import _echo_json, pass_syncer
from .capture import EXIT_NOT_PUSHED


@click.command(epilog="""\b
Exit status: 0 every change it could send reached Salesforce; 3 some did not
(kept in the outbox, why and what to do on stderr); 1 an error.""")
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
        click.get_current_context().exit(EXIT_NOT_PUSHED)


def _echo_push(report: PushReport) -> None:
    click.echo(f"pushed {report.pushed} change(s) in {report.batches} batch(es),"
               f" {report.api_calls} API call(s); {report.pending} pending,"
               f" {report.waiting_for_id} waiting for a Salesforce ID")
    for move in report.relinked:
        click.echo(f"  relinked {move.email}: {move.why}")
    for failure in report.failed:
        click.echo(f"  failed {failure.email} ({failure.salesforce_id}): {failure.error}"
                   f" -> fix: {failure.fix}", err=True)
    if report.failed:
        click.echo("what to do: fix each failed change as it says, then run"
                   " `syncer push --retry-failed`", err=True)
    if report.error:
        click.echo(f"stopped: {report.error}", err=True)
        click.echo("what to do: nothing is lost (the changes stay queued); fix the above, then"
                   " run `syncer push` again" + (" (a running `syncer serve` retries by itself)"
                                                 if report.error_kind in ("transient", "limit", "busy")
                                                 else ""), err=True)
