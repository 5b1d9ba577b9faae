"""`syncer unsubscribe` and `syncer resubscribe`: capture a change and push it at once.

Exit statuses (also in `--help` and the README): 0 the change is saved and Salesforce has it;
3 the change is saved (nothing is lost) but has not reached Salesforce: the lines on stderr
say why and what to do; 1 nothing was saved (bad input or configuration).
"""

from __future__ import annotations

import difflib

import click

from ..push import push_field
from ..service import CaptureOutcome, Syncer
from ..store import SOURCES, Store
from .base import _actor, pass_syncer

EXIT_NOT_PUSHED = 3
EXIT_STATUSES = """\b
Exit status: 0 saved and in Salesforce; 3 saved (kept for good) but not in
Salesforce yet, with why and what to do on stderr; 1 nothing saved (an error)."""


@click.command(epilog=EXIT_STATUSES)
@click.argument("email")
@click.option("--source", type=click.Choice(SOURCES), default="manual", show_default=True,
              help="Where the unsubscribe came from.")
@click.option("--reason", help="Why (saved in the person's history).")
@click.option("--salesforce-id", help="The person's Contact or Lead ID, if known.")
@pass_syncer
def unsubscribe(syncer: Syncer, email: str, source: str, reason: str | None,
                salesforce_id: str | None) -> None:
    """Unsubscribe EMAIL and push it to Salesforce at once.

    An address no one imported is kept as a suppression entry: the person starts opted out
    if the address is ever imported or linked.
    """
    known = _known(syncer.store, email, salesforce_id)
    outcome = syncer.unsubscribe(email, salesforce_id, source=source, reason=reason,
                                 actor=_actor())
    if not known:
        click.echo(f"{outcome.email} is not a known person: kept as a suppression entry"
                   " (they start opted out if ever imported or linked)"
                   + _did_you_mean(syncer.store, outcome.email))
    _echo_capture(outcome, syncer)


@click.command(epilog=EXIT_STATUSES)
@click.argument("email")
@click.option("--reason", required=True, help="Why the person may be emailed again.")
@click.option("--salesforce-id", help="The person's Contact or Lead ID, if known.")
@pass_syncer
def resubscribe(syncer: Syncer, email: str, reason: str, salesforce_id: str | None) -> None:
    """Resubscribe EMAIL (clears the opt-out on both sides); needs a reason."""
    if not _known(syncer.store, email, salesforce_id):
        raise click.ClickException(
            f"{email} is not a known person: nothing to resubscribe"
            + (_did_you_mean(syncer.store, email) or "; see syncer people list"))
    _echo_capture(syncer.resubscribe(email, salesforce_id, reason=reason, actor=_actor()),
                  syncer)


def _known(store: Store, email: str, salesforce_id: str | None) -> bool:
    """Whether the store holds this person (raises a one-line error for a malformed address)."""
    if store.get_person(email) is not None:
        return True
    return salesforce_id is not None and store.find_person_by_salesforce_id(
        salesforce_id) is not None


def _did_you_mean(store: Store, email: str) -> str:
    """'; did you mean a@b, c@d?' for the known addresses closest to `email`, or ''."""
    others = [person.email for person in store.iter_people() if person.email != email]
    near = difflib.get_close_matches(email, others, n=3, cutoff=0.85)
    return f"; did you mean {', '.join(near)}?" if near else ""


def _echo_capture(outcome: CaptureOutcome, syncer: Syncer) -> None:
    verb = "unsubscribed" if outcome.opted_out else "resubscribed"
    again = " (already captured)" if outcome.duplicate else ""
    if outcome.reached_salesforce:
        field_name = push_field(syncer.settings())
        click.echo(f"{verb} {outcome.email}{again}; Salesforce {outcome.salesforce_id} has"
                   f" {field_name} = {str(outcome.opted_out).lower()}")
        return
    click.echo(f"{verb} {outcome.email}{again}; saved, not in Salesforce yet (the change is"
               " kept: nothing is lost)")
    click.echo(f"why: {outcome.error}", err=True)
    click.echo(f"what to do: {outcome.fix}", err=True)
    click.get_current_context().exit(EXIT_NOT_PUSHED)
