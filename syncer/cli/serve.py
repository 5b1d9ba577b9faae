"""`syncer serve`: the long-lived service (real-time pusher, nightly at 20:00 Pacific, web app)."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, request

from ..nightly.schedule import PACIFIC, Service
from ..service import Syncer
from ..web import create_app
from .base import pass_syncer


def _web_app(syncer: Syncer, service: Service) -> Flask:
    """The web app over the same Syncer, which pushes each capture at once; after every POST
    the pusher loop wakes too, so a push that could not go out is tried again without waiting."""
    app = create_app(syncer)

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
        lambda slot, trigger: syncer.nightly(slot=slot, trigger=trigger),
        push=lambda: syncer.pusher.drain(),
        push_interval=push_interval,
    )
    signal.signal(signal.SIGTERM, _interrupt)
    missed = service.start()
    stop_stream = threading.Event()
    stream = threading.Thread(target=syncer.stream(say=click.echo).run, args=(stop_stream,),
                              name="syncer-stream", daemon=True)
    stream.start()
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
        click.echo("web app starting (its address follows); Ctrl-C stops")
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        stop_stream.set()
        stream.join(10)
        service.stop()
        click.echo("stopped")


def _interrupt(*_: object) -> None:
    """SIGTERM stops the service as Ctrl-C does."""
    raise KeyboardInterrupt
