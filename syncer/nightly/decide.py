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
from .state import RunState, decision_json, opt_out_json

Baselines = list[tuple[int, bool]]
# A decision is a pure function of a few booleans and settings: made once per combination
# (a first sync decides a million people), not once per person.
_decide = functools.cache(reconcile.decide)
# How a record no conversion or merge moved is followed: to itself (its target is the record).
LIVE = Followed("live", None)


def settle(run: RunState, person: dict, how: Followed, target: Record | None,
           baselines: Baselines, pushing: set[str], read_at: str | None = None) -> None:
    """Reconcile one person against where their Salesforce ID leads, as read at `read_at`."""
    if target is not None and how.fate == "live" and _settled_plainly(
            run, person, target, baselines, pushing, read_at):
        return
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


# Stands for the record's Id in a plan's event details (an Id that JSON writes as it is).
_ID = "0PLANNEDRECORDID00"


def _settled_plainly(run: RunState, person: dict, target: Record, baselines: Baselines,
                     pushing: set[str], read_at: str | None) -> bool:
    """settle for a person whose live record is the one they are linked to, in a real run's
    transaction, when nothing but the two values and the baseline matter (no push waits, the
    record is not marked gone, no confirmation since `read_at`): what _carry_out does, from the
    combination's plan (a first sync decides 214,000 such people). False if it does not apply."""
    batch = run.batch
    if batch is None:
        return False
    local, value, sfid = person["opted_out"], target.value, target.id
    baseline = person["baseline"] if person["baseline_field"] == run.field else None
    if (person["waiting"] or person["sf_state"] is not None
            or (read_at is not None and person["baseline_at"] is not None
                and person["baseline_at"] > read_at)
            or type(local) is not bool or type(value) is not bool
            or not (baseline is None or type(baseline) is bool)
            or not (sfid.isascii() and sfid.isalnum())):
        return False
    plan = run.plans.get((local, value, baseline))
    if plan is None:
        plan = _plan(run, local, value, baseline)
    if not plan:
        return False
    decided, conflict, opt_out, remote, new_baseline = plan
    events, opt_outs, pushes, agreed = batch
    person_id, email = person["id"], person["email"]
    if decided is not None:
        events.append((person_id, email, "sync_decision", run.decision_source, decided[0],
                       decided[1] + sfid + decided[2]))
    if conflict:
        run.report.conflicts += 1
    if opt_out is not None:
        run.report.pushed_local += 1
        opt_outs.append((person_id, opt_out[0]))
        events.append((person_id, email, opt_out[1], run.source, opt_out[2],
                       opt_out[3] + sfid + opt_out[4]))
    if remote is not None:
        pushing.add(sfid)
        pushes.append((person_id, remote))
        run.queued += 1
    elif new_baseline is not None and opt_out is not None:
        agreed[person_id] = new_baseline  # in the opt-out's own UPDATE
    elif new_baseline is not None:
        baselines.append((person_id, new_baseline))
    return True


def _plan(run: RunState, local: bool, value: bool, baseline: bool | None) -> tuple:
    """What _carry_out does for a live record reading `value`, a person `local` with this
    `baseline` for the field: (the decision event's reason and details around the record's
    Id, or None; a conflict?; the opt-out (value, action, reason, details around the Id), or
    None; the value pushed, or None; the baseline written, or None). Made with the same
    functions as _carry_out's, from a stand-in person and record; () if the details hold the
    stand-in Id other than once."""
    decision = _decide(local, value, baseline,
                       honour_resubscribes=run.settings.honour_salesforce_resubscribes,
                       field=run.field)
    person = {"opted_out": local, "baseline": baseline, "baseline_field": run.field}
    record = Record(_ID, "", None, value, False, None, None, None)
    decided = opt_out = None
    if decision.logged:
        details = decision_json(run.decision_details(person, decision, record))
        decided = (decision.reason, *details.split(_ID))
    if decision.local is not None:
        details = opt_out_json(run.opt_out_details(person, {
            "run_id": run.report.run_id, "salesforce_id": _ID, "field": run.field}))
        opt_out = (decision.local, "unsubscribe" if decision.local else "resubscribe",
                   decision.reason, *details.split(_ID))
    new_baseline = None
    if decision.remote is None and decision.baseline is not None \
            and baseline != decision.baseline:
        new_baseline = decision.baseline
    plan = (decided, decision.conflict, opt_out, decision.remote, new_baseline)
    if (decided is not None and len(decided) != 3) or (opt_out is not None and len(opt_out) != 5):
        plan = ()
    run.plans[(local, value, baseline)] = plan
    return plan


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
