"""The nightly sync's rules: pure functions of the two sides, the baseline and the settings.

`decide` says what to do on each side for one person, and why (sticky or three-way: see
docs/syncer.md); `follow` says which record an ID leads to after conversions and merges.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from .records import checkbox

Kind = Literal[
    "in_sync",  # both sides and the baseline agree: nothing to do
    "agree",  # both sides agree and there was no baseline yet: record it
    "moved",  # both sides changed the same way since the baseline: move it
    "push",  # set Salesforce to the local value
    "apply",  # set the local value to Salesforce's
    "conflict",  # both sides changed (or no baseline) and disagree: opt-out wins on both
    "deleted",  # the Salesforce record is gone: the person keeps their state
]


@dataclass(frozen=True)
class Decision:
    """What one run does for one person: new values for each side, the baseline, and why.

    `local` / `remote` are the values to write on that side (None: leave it). `baseline` is the
    value both sides agree on once the decision is carried out (None when they cannot agree,
    i.e. the record is deleted).
    """

    kind: Kind
    reason: str
    local: bool | None = None
    remote: bool | None = None
    baseline: bool | None = None

    @property
    def conflict(self) -> bool:
        return self.kind == "conflict"

    @property
    def logged(self) -> bool:
        """Whether the decision is worth an event: it changes a side or moves the baseline."""
        return self.kind not in ("in_sync", "agree")


def _state(value: bool) -> str:
    return "opted out" if value else "subscribed"


def decide(
    local: bool,
    remote: bool | None,
    baseline: bool | None,
    *,
    honour_resubscribes: bool = False,
    field: str = "HasOptedOutOfEmail",
) -> Decision:
    """The decision for one person.

    `remote` is the chosen field's value on the person's (followed) Salesforce record, None if
    the record is deleted. `baseline` is None when there is none for this field.
    """
    if remote is None:
        return Decision("deleted", "the Salesforce record was deleted: the person keeps their"
                        f" state ({_state(local)}) and nothing is pushed")
    if local == remote:
        if baseline == local:
            return Decision("in_sync", f"both sides are {_state(local)}", baseline=local)
        if baseline is None:
            return Decision("agree", f"both sides are {_state(local)}: baseline recorded",
                            baseline=local)
        return Decision("moved", f"both sides changed the same way to {_state(local)}:"
                        " baseline moved", baseline=local)
    if honour_resubscribes:
        return _three_way(local, remote, baseline, field)
    return _sticky(local, remote, baseline, field)


def _sticky(local: bool, remote: bool, baseline: bool | None, field: str) -> Decision:
    if local:
        if baseline is True:
            why = (f"{field} was unchecked in Salesforce, but an opt-out is sticky: setting it"
                   " again (to resubscribe, an admin runs `syncer resubscribe EMAIL --reason R`,"
                   " which clears both sides)")
        else:
            why = f"opted out here but not in Salesforce: the opt-out wins, setting {field}"
        return Decision("push", why, remote=True, baseline=True)
    if baseline is False:
        why = f"{field} was checked in Salesforce: opting out here too"
    else:
        why = (f"{field} is checked in Salesforce but the person is subscribed here:"
               " the opt-out wins, opting out here too")
    return Decision("apply", why, local=True, baseline=True)


def _three_way(local: bool, remote: bool, baseline: bool | None, field: str) -> Decision:
    if baseline is None:
        return Decision(
            "conflict",
            f"the sides disagree (here {_state(local)}, Salesforce {_state(remote)}) and there"
            " is no agreed baseline for this field yet: the opt-out wins on both sides",
            local=None if local else True, remote=None if remote else True, baseline=True,
        )
    if local == baseline:
        if remote:
            why = f"only Salesforce changed: {field} was checked there, opting out here too"
        else:
            why = (f"only Salesforce changed: {field} was unchecked there and"
                   " honour_salesforce_resubscribes is on, resubscribing here too")
        return Decision("apply", why, local=remote, baseline=remote)
    # The sides differ and this side left the baseline, so Salesforce still has it.
    return Decision("push", f"only this side changed (to {_state(local)}) since both sides"
                    f" agreed on {_state(baseline)}: pushing it to Salesforce",
                    remote=local, baseline=local)


def baseline_for(baseline: bool | None, baseline_field: str | None, field: str) -> bool | None:
    """The person's baseline for `field`: none when it was agreed on another field."""
    return baseline if baseline_field == field else None


# -- following Salesforce's own moves -----------------------------------------------------------

Fate = Literal["live", "converted", "merged", "deleted", "missing"]


@dataclass(frozen=True)
class Followed:
    """Where a Salesforce ID leads: the live record to compare with, and how it got there."""

    fate: Fate
    target: str | None
    path: tuple[str, ...] = ()


def follow(
    record_id: str, lookup: Callable[[str], Mapping | None], *, max_hops: int = 5
) -> Followed:
    """Follow a converted Lead to its Contact and a merged record to its survivor.

    `lookup(id)` gives the record as queried with IsDeleted, MasterRecordId and, for Leads,
    IsConverted/ConvertedContactId, or None when Salesforce has no such record. The fate is
    that of the first hop: 'converted', 'merged', 'deleted' (no survivor), 'missing' or 'live'.
    """
    path: list[str] = []
    fate: Fate = "live"
    current = record_id
    for _ in range(max_hops):
        record = lookup(current)
        if record is None:
            return Followed("missing" if fate == "live" else fate, None, tuple(path))
        path.append(current)
        if checkbox(record.get("IsDeleted")):
            survivor = record.get("MasterRecordId")
            if not survivor:
                return Followed("deleted" if fate == "live" else fate, None, tuple(path))
            fate = "merged" if fate == "live" else fate
            current = survivor
        elif checkbox(record.get("IsConverted")) and record.get("ConvertedContactId"):
            fate = "converted" if fate == "live" else fate
            current = record["ConvertedContactId"]
        else:
            return Followed(fate, current, tuple(path))
    return Followed(fate, None, tuple(path))
