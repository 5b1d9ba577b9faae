"""`syncer nightly` (one sync now) and `syncer serve` (the long-lived service).

Added to the `syncer` command by syncer.cli's plugin loader (the `commands` list below).

Exit codes of `syncer nightly`: 0 the run finished (or a dry run, or another service already
ran this slot), 1 it failed or could not start, 3 it stopped at the API reserve (partial; the
next run resumes).
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
import threading
from datetime import datetime

import click
from flask import request

from .cli import pass_syncer
from .nightly import RunReport, run_nightly
from .nightly_remote import ClientRemote
from .nightly_store import NightlyError
from .schedule import PACIFIC, Service
from .service import Syncer

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


def _run(syncer: Syncer, *, dry_run: bool = False, slot: datetime | None = None,
         trigger: str = "manual", progress: TerminalProgress | None = None) -> RunReport:
    remote = ClientRemote(syncer.client, policy=syncer.policy)
    return run_nightly(syncer.store, remote, dry_run=dry_run, slot=slot,
                       progress=progress, trigger=trigger, pusher=syncer.pusher)


@click.command()
@click.option("--dry-run", is_flag=True,
              help="Print what the run would change on each side, and change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@pass_syncer
def nightly(syncer: Syncer, dry_run: bool, as_json: bool) -> None:
    """Run the two-way sync with Salesforce now (what the 20:00 Pacific job runs)."""
    progress = TerminalProgress() if sys.stderr.isatty() and not as_json else None
    try:
        report = _run(syncer, dry_run=dry_run, progress=progress)
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


def _web_app(syncer: Syncer, service: Service):
    """The web app of syncer.web, when that package is installed; else None.

    Its captures go through the same Syncer, which pushes each one at once; after every POST
    the pusher loop wakes too, so a push that could not go out is tried again without waiting.
    """
    try:
        web = importlib.import_module(f"{__package__}.web")
    except ModuleNotFoundError as missing:
        if missing.name != f"{__package__}.web":
            raise
        return None
    app = web.create_app(syncer)

    @app.after_request
    def wake_the_pusher(response):
        if request.method == "POST":
            service.wake()
        return response

    return app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the web app.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535),
              help="Port of the web app.")
@click.option("--push-interval", default=5.0, show_default=True, type=click.FloatRange(0.5),
              help="Seconds between the pusher's passes over the outbox.")
@pass_syncer
def serve(syncer: Syncer, host: str, port: int, push_interval: float) -> None:
    """Run the service: the real-time pusher, the nightly sync at 20:00 Pacific, the web app.

    A nightly run missed while the service was down runs once at start-up. Several services
    may share one database: each slot runs once.
    """
    store = syncer.store
    service = Service(
        store,
        lambda slot, trigger: _run(syncer, slot=slot, trigger=trigger),
        push=lambda: syncer.pusher.drain(),
        push_interval=push_interval,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    missed = service.start()
    try:
        settings = store.get_settings()
        upcoming = service.next_run_time()
        if not settings.nightly_sync:
            click.echo("nightly sync is off (syncer settings --nightly-sync on): only the"
                       " real-time pusher runs")
        elif upcoming is not None:
            click.echo(f"next nightly sync: {upcoming.astimezone(PACIFIC):%Y-%m-%d %H:%M %Z}")
        if missed is not None:
            click.echo(f"running the missed {missed.astimezone(PACIFIC):%Y-%m-%d %H:%M %Z}"
                       " nightly sync now")
        click.echo(f"pushing the outbox every {push_interval:g} s")
        app = _web_app(syncer, service)
        if app is None:
            click.echo("no web app yet (syncer.web is not installed): serving the pusher and"
                       " the nightly job; Ctrl-C stops")
            while True:
                threading.Event().wait(3600)
        else:
            click.echo("web app starting (its address follows); Ctrl-C stops")
            app.run(host=host, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        service.stop()
        click.echo("stopped")


def _interrupt(*_: object) -> None:
    """SIGTERM stops the service as Ctrl-C does."""
    raise KeyboardInterrupt


commands = [nightly, serve]
