"""`syncer unsubscribe` and `syncer resubscribe`: capture a change and push it at once."""

from __future__ import annotations

import click

from ..push import push_field
from ..service import CaptureOutcome, Syncer
from ..store import SOURCES
from .base import _actor, pass_syncer


@click.command()
@click.argument("email")
@click.option("--source", type=click.Choice(SOURCES), default="manual", show_default=True,
              help="Where the unsubscribe came from.")
@click.option("--reason", help="Why (saved in the person's history).")
@click.option("--salesforce-id", help="The person's Contact or Lead ID, if known.")
@pass_syncer
def unsubscribe(syncer: Syncer, email: str, source: str, reason: str | None,
                salesforce_id: str | None) -> None:
    """Unsubscribe EMAIL and push it to Salesforce at once."""
    _echo_capture(syncer.unsubscribe(email, salesforce_id, source=source, reason=reason,
                                     actor=_actor()), syncer)


@click.command()
@click.argument("email")
@click.option("--reason", required=True, help="Why the person may be emailed again.")
@click.option("--salesforce-id", help="The person's Contact or Lead ID, if known.")
@pass_syncer
def resubscribe(syncer: Syncer, email: str, reason: str, salesforce_id: str | None) -> None:
    """Resubscribe EMAIL (clears the opt-out on both sides); needs a reason."""
    _echo_capture(syncer.resubscribe(email, salesforce_id, reason=reason, actor=_actor()),
                  syncer)


def _echo_capture(outcome: CaptureOutcome, syncer: Syncer) -> None:
    verb = "unsubscribed" if outcome.opted_out else "resubscribed"
    again = " (already captured)" if outcome.duplicate else ""
    if outcome.reached_salesforce:
        field_name = push_field(syncer.settings())
        click.echo(f"{verb} {outcome.email}{again}; Salesforce {outcome.salesforce_id} has"
                   f" {field_name} = {str(outcome.opted_out).lower()}")
        return
    click.echo(f"{verb} {outcome.email}{again}; saved, not in Salesforce yet")
    click.echo(f"{outcome.state}: {outcome.error} -> {outcome.fix}", err=True)
