"""`syncer listen`: the change stream alone, in the foreground."""

from __future__ import annotations

import signal
import threading
import time

import click

from ..service import Syncer
from ..stream.listener import NIGHTLY_ONLY, configured_mode
from .base import pass_syncer


@click.command()
@click.option("--exit-after", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Stop cleanly after this many seconds (default: run until stopped).")
@pass_syncer
def listen(syncer: Syncer, exit_after: float | None) -> None:
    """Apply Salesforce-side opt-outs as they happen: CDC over the Pub/Sub API when it is on
    (`syncer settings --cdc on`), else an incremental pull every `--poll-minutes`.
    SIGTERM or Ctrl-C stops it cleanly."""
    if configured_mode(syncer.store.get_settings()) == NIGHTLY_ONLY:
        raise click.ClickException(
            "no stream is configured: turn on CDC with `syncer settings --cdc on` (select"
            " Contact and Lead in Setup > Change Data Capture) or polling with"
            " `syncer settings --poll-minutes 5`")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    stream = syncer.stream(say=lambda line: click.echo(line, err=True))
    worker = threading.Thread(target=stream.run, args=(stop,), name="syncer-stream")
    worker.start()
    deadline = None if exit_after is None else time.monotonic() + exit_after
    while worker.is_alive():
        worker.join(0.2)
        if deadline is not None and time.monotonic() >= deadline:
            stop.set()
    click.echo("stopped", err=True)
