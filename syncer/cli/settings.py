"""`syncer settings`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from ..push import push_field
from ..service import Syncer
from ..store import FIELD_CHOICES
from .base import _actor, _echo_json, pass_syncer

ON_OFF = click.Choice(["on", "off"])


@click.command()
@click.option("--nightly-sync", type=ON_OFF, help="Unsubscribe sync to Salesforce (the nightly run).")
@click.option("--field", type=click.Choice(FIELD_CHOICES), help="The Salesforce field to sync.")
@click.option("--marketo-field-api-name", metavar="NAME",
              help="API name of the Marketo Sales Opt Out field in your org.")
@click.option("--honour-salesforce-resubscribes", type=ON_OFF,
              help="Let a cleared opt-out in Salesforce resubscribe the person here.")
@click.option("--fan-out-by-email", type=ON_OFF,
              help="Write every Contact and Lead with the person's email, not just the linked"
                   " record.")
@click.option("--bulk-threshold", metavar="N",
              help="Records above which the nightly run uses Bulk API 2.0.")
@click.option("--api-reserve-percent", metavar="P",
              help="Percent of the daily API allocation the nightly run leaves unused.")
@click.option("--stale-hours", metavar="H",
              help="Hours an opt-out may wait for Salesforce before doctor fails.")
@click.option("--cdc", type=ON_OFF,
              help="Stream Salesforce's changes over the Pub/Sub API (Change Data Capture).")
@click.option("--poll-minutes", metavar="N",
              help="Minutes between incremental pulls where CDC is off or unreachable (0: off).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@pass_syncer
def settings(syncer: Syncer, as_json: bool, **options: str | None) -> None:
    """Show or change the unsubscribe settings."""
    changes: dict[str, Any] = {}
    for name, value in options.items():
        if value is not None:
            changes[name] = value == "on" if value in ("on", "off") else value
    current = syncer.settings(actor=_actor(), **changes)
    if as_json:
        _echo_json({**asdict(current), "field_api_name": current.field_api_name,
                    "push_field": push_field(current)})
        return
    click.echo(f"nightly sync: {_on(current.nightly_sync)}")
    click.echo(f"field: {current.field} ({current.field_api_name})")
    click.echo(f"marketo field API name: {current.marketo_field_api_name}")
    click.echo(f"real-time pushes write: {push_field(current)}")
    click.echo(f"honour Salesforce resubscribes: {_on(current.honour_salesforce_resubscribes)}")
    click.echo(f"fan out by email: {_on(current.fan_out_by_email)}")
    click.echo(f"bulk threshold: {current.bulk_threshold} records")
    click.echo(f"API reserve: {current.api_reserve_percent:g}%")
    click.echo(f"stale after: {current.stale_hours:g} hours")
    click.echo(f"change data capture: {_on(current.cdc)}")
    polling = f"every {current.poll_minutes:g} minutes" if current.poll_minutes else "off"
    click.echo(f"polling: {polling}")


def _on(value: bool) -> str:
    return "on" if value else "off"
