"""`syncer demo`: the product's story against a fresh emulated org, in under 30 seconds."""

from __future__ import annotations

import secrets
import shlex
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import click
from werkzeug.serving import make_server

from ..web import auth, create_app

if TYPE_CHECKING:
    from ..demo import Demo


def _keep_running(demo: Demo) -> None:
    """Leave the emulator and the web app up until Ctrl-C, ready to click through: an admin
    password set, and the environment for `syncer` commands in another shell printed."""
    password = secrets.token_urlsafe(12)
    auth.set_admin_password(demo.syncer.store, password, actor="syncer demo --keep")
    web = make_server("127.0.0.1", 0, create_app(demo.syncer), threaded=True)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    app_url = f"http://127.0.0.1:{web.server_port}"
    config = demo.syncer.config
    example = demo.syncer.people(limit=1)[0].email
    click.echo("")
    click.echo(f"Salesforce emulator: {demo.server.url}  (Setup pages: {demo.server.url}/setup/; "
               "log in as admin@sfmock.dev / sfmock-admin-password)")
    click.echo(f"Web app:             {app_url}/  (admin sign-in: {app_url}/admin/login,"
               f" password {password})")
    click.echo("")
    click.echo("In another shell, `syncer` commands work on this demo after:")
    click.echo(f"  export SYNCER_DB={shlex.quote(config.db)} SF_LOGIN_URL={config.login_url}"
               f" SF_CA_BUNDLE={shlex.quote(str(config.ca_bundle))}")
    click.echo(f"  export SF_USERNAME={config.username} SF_PASSWORD={config.password}"
               f" SF_SECURITY_TOKEN={config.security_token} SYNCER_PUBLIC_URL={app_url}")
    click.echo(f"  syncer unsubscribe-link {example}   # opens on this web app")
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
