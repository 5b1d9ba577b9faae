"""`syncer serve`: the long-lived service (real-time pusher, nightly at 20:00 Pacific, web app)."""

from __future__ import annotations

import threading
from datetime import timedelta

import click
from flask import Flask, request

from ..nightly.schedule import PACIFIC, Service
from ..service import Syncer
from ..web import create_app, health
from ..web.server import log_access_to_stderr, serve_until_stopped, stop_on_sigterm
from .base import pass_syncer
from .web import link_days_option


def _web_app(syncer: Syncer, service: Service, link_days: int = 60) -> Flask:
    """The web app over the same Syncer, which pushes each capture at once; after every POST
    the pusher loop wakes too, so a push that could not go out is tried again without waiting."""
    app = create_app(syncer, link_max_age=timedelta(days=link_days))
    app.extensions[health.SERVICE] = service

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
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64),
              help="Web requests served at once.")
@click.option("--push-interval", default=5.0, show_default=True, type=click.FloatRange(0.5),
              help="Seconds between the pusher's passes over the outbox.")
@link_days_option
@pass_syncer
def serve(syncer: Syncer, host: str, port: int, threads: int, push_interval: float,
          link_days: int) -> None:
    """Run the service: the real-time pusher, the nightly sync at 20:00 Pacific, the web app.

    A nightly run missed while the service was down runs once at start-up. Several services
    may share one database: each slot runs once. The web app is served by waitress, one
    access-log line per request on stderr; GET /healthz answers 200 while the service is
    healthy, 503 when not. SIGTERM (or Ctrl-C) stops it cleanly: requests and the push in
    flight finish, then it exits 0.
    """
    store = syncer.store
    service = Service(
        store,
        lambda slot, trigger: syncer.nightly(slot=slot, trigger=trigger),
        push=lambda: syncer.pusher.drain(stop=service.stopping),
        push_interval=push_interval,
    )
    stop_on_sigterm()
    log_access_to_stderr()
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
        app = _web_app(syncer, service, link_days)
        serve_until_stopped(
            app, host=host, port=port, threads=threads,
            ready=lambda url: click.echo(f"web app at {url} (health: {url}healthz);"
                                         " Ctrl-C or SIGTERM stops"))
    except KeyboardInterrupt:
        pass
    except OSError as problem:
        raise click.ClickException(f"cannot listen on {host}:{port} ({problem.strerror}):"
                                   " choose another --port or --host") from None
    finally:
        stop_stream.set()
        stream.join(10)
        service.stop()
        click.echo("stopped")
