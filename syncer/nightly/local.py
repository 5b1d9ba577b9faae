"""Check people changed here: those whose value differs from their baseline and who were not
met in the pull; their records are fetched by Id and reconciled."""

from __future__ import annotations

from .decide import Baselines, settle
from .follow import follow
from .records import Record
from .state import RunState
from .write import drain_if_full

PEOPLE_PER_PASS = 2000


def check_local_changes(run: RunState) -> None:
    run.phase = "checking people changed here"
    after = 0
    while people := run.store.local_candidates(run.field, after, PEOPLE_PER_PASS):
        after = people[-1]["id"]
        known: dict[str, Record | None] = {}
        read_at = run.store.now()  # before their records are fetched (settle's guard)
        followed = follow(run, [p["salesforce_id"] for p in people], known)
        baselines: Baselines = []
        pushing: set[str] = set()
        with run.transaction():
            # Fresh under the write lock, as in a pulled page: a capture made meanwhile wins.
            fresh = run.store.people_by_sfid([p["salesforce_id"] for p in people])
            for person in people:
                current = fresh.get(person["salesforce_id"])
                if current is None or current["id"] != person["id"]:
                    continue  # relinked meanwhile: the next run looks again
                if run.dry and person["id"] in run.settled:
                    continue  # met in the pull (a real run's baselines would say so)
                how = followed[person["salesforce_id"]]
                settle(run, current, how, known.get(how.target) if how.target else None,
                       baselines, pushing, read_at)
            if baselines and not run.dry:
                run.store.set_baselines(baselines, field=run.field)
        drain_if_full(run)
