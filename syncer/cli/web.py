"""`syncer unsubscribe-link`, `syncer admin set-password`, `syncer api-key ...` and `syncer web`.

"""

from __future__ import annotations

from datetime import timedelta

import click

from ..service import Syncer
from ..web import auth, create_app
from ..web.server import log_access_to_stderr, serve_until_stopped, stop_on_sigterm
from ..web.tokens import LinkTokens
from .base import SyncerGroup, _echo_json, pass_syncer

DEFAULT_PORT = 8080
BASE_URL_ENV = "SYNCER_PUBLIC_URL"


@click.command("unsubscribe-link")
@click.argument("email")
@click.option("--base-url", envvar=BASE_URL_ENV, default=f"http://127.0.0.1:{DEFAULT_PORT}",
              show_default=True, help=f"The web app's public address (or set {BASE_URL_ENV}).")
@click.option("--add", is_flag=True, help="Add the person to the store if they are not in it.")
@click.option("--headers", is_flag=True,
              help="Print the List-Unsubscribe email headers (RFC 8058 one-click) instead.")
@pass_syncer
def unsubscribe_link(syncer: Syncer, email: str, base_url: str, add: bool,
                     headers: bool) -> None:
    """Print EMAIL's unsubscribe link: signed for this one person, valid for 60 days."""
    store = syncer.store
    person = store.get_person(email)
    if person is None:
        if not add:
            raise click.ClickException(
                f"{email} is not in the store: import the person (syncer people import"
                " FILE.csv), or pass --add")
        person = store.get_person(store.upsert_person(email, source="manual"))
    link = LinkTokens(auth.secret_key(store)).url(base_url, person)
    if headers:
        click.echo(f"List-Unsubscribe: <{link}>")
        click.echo("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    else:
        click.echo(link)


@click.group(cls=SyncerGroup)
def admin() -> None:
    """The web app's admin sign-in."""


@admin.command("set-password")
@click.password_option("--password", prompt="New admin password",
                       help="Prompted for (hidden, asked twice) when left out.")
@pass_syncer
def set_password(syncer: Syncer, password: str) -> None:
    """Set the web app's admin password (stored hashed; signs every admin out)."""
    auth.set_admin_password(syncer.store, password, actor="syncer admin set-password")
    click.echo("admin password set")


@click.group("api-key", cls=SyncerGroup)
def api_key() -> None:
    """API keys for the capture endpoint (POST /api/unsubscribes)."""


@api_key.command("create")
@click.argument("name")
@pass_syncer
def create_key(syncer: Syncer, name: str) -> None:
    """Make an API key called NAME and print it (only this once; only its hash is kept)."""
    key = auth.create_api_key(syncer.store, name)
    click.echo(key)
    click.echo(f"API key {name!r} created; it is shown only now. Send it as"
               " 'Authorization: Bearer <key>'.", err=True)


@api_key.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the keys as a JSON array.")
@pass_syncer
def list_keys(syncer: Syncer, as_json: bool) -> None:
    """List API keys by name (the keys themselves are not kept)."""
    keys = auth.list_api_keys(syncer.store)
    if as_json:
        _echo_json([{"name": key.name, "created_at": key.created_at} for key in keys])
        return
    for key in keys:
        click.echo(f"{key.name}\tcreated {key.created_at}")
    if not keys:
        click.echo("no API keys: create one with syncer api-key create NAME", err=True)


@api_key.command("revoke")
@click.argument("name")
@pass_syncer
def revoke_key(syncer: Syncer, name: str) -> None:
    """Revoke the API key called NAME: requests with it get 401 from now on."""
    if not auth.revoke_api_key(syncer.store, name):
        raise click.ClickException(f"no API key is called {name!r}: see syncer api-key list")
    click.echo(f"API key {name!r} revoked")


link_days_option = click.option(
    "--link-days", default=60, show_default=True, type=click.IntRange(1, 3650),
    help="How many days an unsubscribe link works.")


@click.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True,
              type=click.IntRange(0, 65535), help="Port on 127.0.0.1.")
@link_days_option
@pass_syncer
def web(syncer: Syncer, port: int, link_days: int) -> None:
    """Serve only the web app on 127.0.0.1 (`syncer serve` adds the pusher and nightly job)."""
    if not auth.admin_password_set(syncer.store):
        click.echo("no admin password yet: run syncer admin set-password to sign in", err=True)
    app = create_app(syncer, link_max_age=timedelta(days=link_days))
    stop_on_sigterm()
    log_access_to_stderr()
    try:
        serve_until_stopped(app, host="127.0.0.1", port=port, threads=4,
                            ready=lambda url: click.echo(f"web app at {url}; Ctrl-C stops"))
    except KeyboardInterrupt:
        pass
    except OSError as problem:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port} ({problem.strerror}):"
                                   " choose another --port") from None
