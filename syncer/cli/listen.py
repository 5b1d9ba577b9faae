"""`syncer listen`: the change stream alone, in the foreground."""

from __future__ import annotations

import signal
import threading

import click

from ..service import Syncer
from ..stream.listener import NIGHTLY_ONLY, configured_mode
from .base import pass_syncer


@click.command()
@pass_syncer
def listen(syncer: Syncer) -> None:
    """Apply Salesforce-side opt-outs as they happen: CDC over the Pub/Sub API when it is on
    (`syncer settings --cdc on`), else an incremental pull every `--poll-minutes`.
    SIGTERM or Ctrl-C stops it cleanly."""
    if configured_mode(syncer.store.get_settings()) == NIGHTLY_ONLY:
        raise click.ClickException(
            "no stream is configured: turn on CDC with `syncer settings --cdc on` (select"
            " Contact and Lead in Setup > Change Data Capture) or polling with"
            " `syncer settings --poll-minutes 5`")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    stream = syncer.stream(say=lambda line: click.echo(line, err=True))
    worker = threading.Thread(target=stream.run, args=(stop,), name="syncer-stream")
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
    click.echo("stopped", err=True)
