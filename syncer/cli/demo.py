"""`syncer demo`: the product's story against a fresh emulated org, in under 30 seconds."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from werkzeug.serving import make_server

from ..web import create_app

if TYPE_CHECKING:
    from ..demo import Demo


def _keep_running(demo: Demo) -> None:
    """Leave the emulator and the web app up until Ctrl-C, with their URLs printed."""
    web = make_server("127.0.0.1", 0, create_app(demo.syncer), threaded=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    click.echo("")
    click.echo(f"Salesforce emulator: {demo.server.url}  (Setup pages: {demo.server.url}/setup/; "
               "log in as admin@sfmock.dev / sfmock-admin-password)")
    click.echo(f"Web app:             http://127.0.0.1:{web.server_port}/  (set an admin "
               "password first with `syncer admin set-password`, SYNCER_DB="
               f"{demo.workdir / 'syncer.db'})")
    click.echo("Press Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.shutdown()


@click.command()
@click.option("--keep", is_flag=True,
              help="Leave the emulator and the web app running afterwards, URLs printed.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the demo's databases and certificates here (default: a temp dir).")
def demo(keep: bool, workdir: Path | None) -> None:
    """Walk the product's story end to end against a fresh emulated Salesforce org."""
    # Imported here: only the demo needs the emulator (and with it responses and trustme).
    from ..demo import run_demo

    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    result = run_demo(click.echo, keep=_keep_running if keep else None, workdir=workdir)
    if not result.ok:
        raise click.ClickException("the demo did not reach the expected state (see above)")
