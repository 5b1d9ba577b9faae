"""`syncer nightly`: one sync now.

Exit codes of `syncer nightly`: 0 the run finished (or a dry run, or another service already
ran this slot), 1 it failed or could not start, 3 it stopped at the API reserve (partial; the
next run resumes).
"""

from __future__ import annotations

import json
import sys

import click

from ..nightly import NightlyError
from ..service import Syncer
from .base import pass_syncer

EXIT_FAILED = 1
EXIT_PARTIAL = 3


class TerminalProgress:
    """Rows pulled and pushed, rewritten on one line of a terminal (stderr)."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, pulled: int, pushed: int) -> None:
        click.echo(f"\rpulled {pulled:,} records, pushed {pushed:,}", nl=False, err=True)
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo("", err=True)


@click.command()
@click.option("--dry-run", is_flag=True,
              help="Print what the run would change on each side, and change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@pass_syncer
def nightly(syncer: Syncer, dry_run: bool, as_json: bool) -> None:
    """Run the two-way sync with Salesforce now (what the 20:00 Pacific job runs)."""
    progress = TerminalProgress() if sys.stderr.isatty() and not as_json else None
    try:
        report = syncer.nightly(dry_run=dry_run, progress=progress)
    except NightlyError as problem:
        raise click.ClickException(str(problem)) from None
    finally:
        if progress is not None:
            progress.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, default=str))
    else:
        for change in report.changes:
            click.echo(change.line())
        click.echo(report.summary())
    if report.status == "failed":
        click.get_current_context().exit(EXIT_FAILED)
    if report.status == "partial":
        click.get_current_context().exit(EXIT_PARTIAL)
