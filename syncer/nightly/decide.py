"""Decide: reconcile one person with the record their Salesforce ID leads to, and carry it out.

Local changes are written in the page's transaction (its events and opt-outs together at its
end: RunState.transaction); Salesforce changes are queued in the outbox (durable), including a
push to a record another person owns (the person's old record was merged into it).
"""

from __future__ import annotations

import functools

from ..store import SalesforceIdInUse
from . import reconcile
from .reconcile import Decision, Followed
from .records import Record
from .state import RunState

Baselines = list[tuple[int, bool]]
# A decision is a pure function of a few booleans and settings: made once per combination
# (a first sync decides a million people), not once per person.
_decide = functools.cache(reconcile.decide)
# How a record no conversion or merge moved is followed: to itself (its target is the record).
LIVE = Followed("live", None)


def settle(run: RunState, person: dict, how: Followed, target: Record | None,
           baselines: Baselines, pushing: set[str], read_at: str | None = None) -> None:
    """Reconcile one person against where their Salesforce ID leads, as read at `read_at`."""
    if run.dry:
        run.settled.add(person["id"])
    if person["waiting"] or (read_at is not None and person["baseline_at"] is not None
                             and person["baseline_at"] > read_at):
        # A push waits, or one was confirmed after the record was read: the record in hand
        # may hold an older value than Salesforce's now, so the next run decides.
        run.report.waiting += 1
        return
    owned_by_another = False
    if target is None:
        _gone(run, person, "missing" if how.fate == "missing" else "deleted")
        return
    if how.fate in ("converted", "merged"):
        person = dict(person)  # relinked below
        owned_by_another = not _relink(run, person, how, target)
    elif person["sf_state"] is not None and not run.dry:
        run.flush()
        run.store.mark_sf_state(person["id"], None)
    baseline = None if how.fate != "live" else reconcile.baseline_for(
        person["baseline"], person["baseline_field"], run.field)
    decision = _decide(
        person["opted_out"], target.value, baseline,
        honour_resubscribes=run.settings.honour_salesforce_resubscribes, field=run.field)
    _carry_out(run, person, target, decision, baselines, pushing,
               owned_by_another=owned_by_another)


def _gone(run: RunState, person: dict, state: str) -> None:
    if person["sf_state"] == state:
        return
    run.report.deleted += 1
    decision = reconcile.decide(bool(person["opted_out"]), None, None)
    run.change("local", f"mark {state}", person, person["salesforce_id"], decision.reason)
    if not run.dry:
        run.flush()
        run.store.mark_sf_state(person["id"], state)
        run.decision_event(person, decision, None, {"sf_state": state})


def _relink(run: RunState, person: dict, how: Followed, target: Record) -> bool:
    """Link the person to the record their old one became; False if another person has it."""
    old = person["salesforce_id"]
    if how.fate == "converted":
        why = f"Lead {old} was converted into Contact {target.id}: following it"
    else:
        why = f"{old} was merged into {target.id}: following the surviving record"
    run.change("local", "relink", person, target.id, why)
    if run.dry:
        return True
    run.flush()
    try:
        run.store.set_salesforce_id(person["id"], target.id, source=run.source, reason=why)
    except SalesforceIdInUse:
        run.store.mark_sf_state(person["id"], how.fate)
        return False
    run.report.relinked += 1
    person.update(salesforce_id=target.id, salesforce_type=target.type, baseline=None,
                  baseline_field=None, sf_state=None)
    return True


def _carry_out(run: RunState, person: dict, target: Record, decision: Decision,
               baselines: Baselines, pushing: set[str], *, owned_by_another: bool) -> None:
    if decision.logged:
        run.decision_event(person, decision, target)
    if decision.conflict:
        run.report.conflicts += 1
    if decision.local is not None:
        run.report.pushed_local += 1
        action = "opt out" if decision.local else "resubscribe"
        run.change("local", action, person, target.id, decision.reason)
        if not run.dry:
            run.set_opted_out(person, decision.local, decision.reason,
                              {"run_id": run.report.run_id, "salesforce_id": target.id,
                               "field": run.field})
    if decision.remote is not None:
        pushing.add(target.id)
        action = f"set {run.field} to {str(decision.remote).lower()} on {target.type}"
        run.change("salesforce", action, person, target.id, decision.reason)
        if run.dry:
            run.report.pushed_remote += 1
        elif owned_by_another:
            run.queue_record_push(target, decision.remote, person["email"])
        else:
            run.queue_push(person, decision.remote)
    elif decision.baseline is not None and not (
            person["baseline"] == decision.baseline and person["baseline_field"] == run.field):
        baselines.append((person["id"], decision.baseline))
