"""The `sfmock` command: run the emulator as a server."""

from __future__ import annotations

import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

import click

from .models.faults import FaultRuleError, install_faults, load_rules
from .models.fixtures import DEFAULT_FIXTURES, FixtureError, load_fixtures
from .models.org import Org
from .models.schema_import import SchemaImportError, load_schema
from .server import Server


@click.group()
@click.version_option(package_name="sfsync", prog_name="sfmock")
def main() -> None:
    """sfmock: a Salesforce emulator for offline tests."""


FAULTS_EXAMPLE = """\b
Examples:
  sfmock serve --tls --port 8765 --cert-dir ./certs --ready-file sfmock.ready &
  sfmock serve --tls --faults '[{"fault": "503", "path": "/query", "probability": 0.1},
    {"fault": "UNABLE_TO_LOCK_ROW", "method": "PATCH", "path": "/composite/sobjects",
     "scope": "record", "probability": 0.05},
    {"fault": "REQUEST_LIMIT_EXCEEDED", "calls": "10-20"}]' --seed 42
\b
Faults: 500, 503, UNABLE_TO_LOCK_ROW, REQUEST_LIMIT_EXCEEDED, INVALID_SESSION_ID,
latency (with "ms"), drop; matched by "method" and "path" (a regex), fired by
"calls" windows and/or a "probability" (docs/emulator.md, "Fault rules", has all)."""


def _port(value: int, option: str) -> int:
    if not 0 <= value <= 65535:
        raise click.ClickException(f"{option} {value} is not a port: use 1-65535, or 0 for any"
                                   " free port")
    return value


@main.command(epilog=FAULTS_EXAMPLE)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0 = any free).")
@click.option("--tls/--no-tls", default=False, help="Serve HTTPS with a generated local CA.")
@click.option("--cert-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where ca.pem and the server certificate live (default: a temp dir).")
@click.option("--fixtures", "fixtures", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_FIXTURES, show_default="the default org",
              help="Folder with org.json and CSVs to load into a new org.")
@click.option("--empty", is_flag=True, help="Start with an empty org (no fixtures).")
@click.option("--schema", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of describe JSON files (one per object, from `sf sobject describe "
                   "--json`) whose objects the org takes as they are.")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path),
              help="SQLite file holding the org, so it survives a restart.")
@click.option("--install-package", "packages", multiple=True, metavar="NAME",
              help="Install a package, e.g. marketo-sales-connect (repeatable).")
@click.option("--exit-after", type=float, metavar="SECONDS",
              help="Stop by itself after this many seconds (for scripts and tests).")
@click.option("--faults", "fault_rules", metavar="JSON|FILE",
              help="Fault rules to inject: a JSON array, or a .json file holding one "
                   "(an example below).")
@click.option("--seed", type=int, help="Seed of the fault rules' random draws (replays a run).")
@click.option("--pubsub-port", type=int, metavar="PORT",
              help="Also serve the Pub/Sub API (gRPC: Change Data Capture events) on this port "
                   "(0 = any free); TLS with the same CA under --tls.")
@click.option("--pubsub-keepalive", type=float, default=270.0, show_default=True,
              metavar="SECONDS", help="Idle seconds before a subscriber gets an empty keep-alive.")
@click.option("--log-requests", is_flag=True,
              help="Log every request on stderr (quiet by default).")
@click.option("--ready-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the URL to this file once serving (removed on exit), for scripts"
                   " to wait on.")
def serve(host: str, port: int, tls: bool, cert_dir: Path | None, fixtures: Path, empty: bool,
          schema: Path | None,
          db: Path | None, packages: tuple[str, ...], exit_after: float | None,
          fault_rules: str | None, seed: int | None, pubsub_port: int | None,
          pubsub_keepalive: float, log_requests: bool, ready_file: Path | None) -> None:
    """Serve an org over Salesforce's login, REST and Bulk APIs."""
    _port(port, "--port")
    if pubsub_port is not None:
        _port(pubsub_port, "--pubsub-port")
    if ready_file is not None:
        ready_file.unlink(missing_ok=True)  # a stale one from an earlier run must not count
    try:
        rules = load_rules(fault_rules) if fault_rules is not None else None
    except FaultRuleError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        org = Org(db)
        if schema is not None:
            load_schema(org, schema)
        if not org.users and not empty:
            load_fixtures(org, fixtures)
        for name in packages:
            org.install_package(name)
        if rules is not None:
            install_faults(org, rules, seed)
    except (FixtureError, SchemaImportError) as exc:
        raise click.ClickException(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
        message = getattr(exc, "message", None) or str(exc)
        raise click.ClickException(f"cannot start the org: {message}") from None
    if tls and cert_dir is None:
        cert_dir = Path(tempfile.mkdtemp(prefix="sfmock-certs-"))
    try:
        socket.create_server((host, port)).close()  # werkzeug would print and exit on its own
        server = Server(org, host, port, tls=tls, cert_dir=cert_dir, log_requests=log_requests)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror}): pick another --port, or 0 for any"
        ) from None
    pubsub = None
    if pubsub_port is not None:
        from .pubsub import PubSubServer

        try:
            pubsub = PubSubServer(org, host, pubsub_port, cert_dir=cert_dir if tls else None,
                                  keepalive=pubsub_keepalive).start()
        except (OSError, RuntimeError) as exc:
            raise click.ClickException(
                f"cannot serve the Pub/Sub API on {host}:{pubsub_port} ({exc}): pick another "
                "--pubsub-port, or 0 for any") from None
    click.echo(f"sfmock serving {org.meta['name']} at {server.url}", err=False)
    if server.ca_path:
        click.echo(f"CA certificate: {server.ca_path}")
    if pubsub is not None:
        click.echo(f"Pub/Sub API (gRPC) at {pubsub.target}")
    if rules is not None:
        click.echo(f"Injecting faults: {len(rules)} rule(s), seed {seed}")
    click.echo("Log in as integration@sfmock.dev (see fixtures/org.json); Ctrl-C stops.")
    click.echo(f"Admin key (header X-Sfmock-Admin-Key for /sfmock/api): {org.meta['admin_key']}")
    sys.stdout.flush()
    if ready_file is not None:
        ready_file.write_text(server.url + "\n")
    if exit_after:
        timer = threading.Timer(exit_after, server._server.shutdown)
        timer.daemon = True
        timer.start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server._server.shutdown).start())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if pubsub is not None:
            pubsub.stop()
        server._server.server_close()
        org.close()
        if ready_file is not None:
            ready_file.unlink(missing_ok=True)
