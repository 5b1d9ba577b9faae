"""What every `syncer` command shares: the group, one-line errors, the shared Syncer."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

import click

from ..config import ConfigError, load_config
from ..salesforce import SalesforceError
from ..service import Syncer
from ..store import StoreError

KNOWN_ERRORS = (StoreError, SalesforceError, ConfigError)


class SyncerGroup(click.Group):
    """A group whose commands fail with one clear line instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KNOWN_ERRORS as problem:
            raise click.ClickException(str(problem)) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, EOFError):
            raise
        except BrokenPipeError:
            # The reader left (`syncer people list | head -1`): normal for a CLI. Point stdout
            # at /dev/null so the interpreter's last flush cannot complain, and exit 0.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except Exception as problem:
            if os.environ.get("SYNCER_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected error ({type(problem).__name__}: {problem}): please report it;"
                " rerun with SYNCER_DEBUG=1 to see the details") from None


class State:
    """What commands share: the config file path, and the Syncer opened on first use."""

    def __init__(self, config_path: str | None = None, syncer: Syncer | None = None):
        self.config_path = config_path
        self._syncer = syncer

    @property
    def syncer(self) -> Syncer:
        if self._syncer is None:
            self._syncer = Syncer(load_config(self.config_path))
            click.get_current_context().call_on_close(self._syncer.close)
        return self._syncer


def pass_syncer(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command to receive the shared Syncer as its first argument."""

    @click.pass_context
    def run(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(command, ctx.find_object(State).syncer, *args, **kwargs)

    return update_wrapper(run, command)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _actor() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@click.group(cls=SyncerGroup)
@click.version_option(package_name="sfsync", prog_name="syncer")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="SYNCER_CONFIG",
              help="TOML config file (environment variables override it).")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """Keep Sales Connect unsubscribes and Salesforce opt-outs in agreement."""
    if ctx.obj is None:
        ctx.obj = State(config_path)
