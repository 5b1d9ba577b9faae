"""Compiled plans kept per org for the queries asked lately.

A client repeats its queries (the syncer's lookups of 300 Ids, a poll, a test's checks), and
`parser.parse` already answers a repeated text with the same immutable AST. Compiling it again
(resolving fields, writing the SQL, 300 `?` for an `Id IN` list, the record writer's source)
cost about 0.1 ms a 300-Id query (benchmarks/README.md, Session 6), every time. Only texts of
CACHED_FROM characters or more are kept: a one-row query compiles in about 12 us, and keeping
plans that never come back (a hundred one-row queries in turn) cost it 12 us more a call.

A plan is kept for its AST object (the same text parsed lately is the same object; SOSL's
synthetic queries, which share a text, are distinct objects; the entry holds the AST, so its id
names no other object meanwhile) and is given again only while what it was compiled from still
holds: the org's count of schema changes (custom fields and objects, loaded describes,
field-level security, a reset: `Org.schema_changes`) and its local date (relative date
literals such as TODAY become bounds when compiled). Plans are not changed after compiling (the engine, Bulk and
SOSL read them; the record writer is cached on the shape), so one plan serves every caller.
"""

from __future__ import annotations

import threading
from datetime import date

from ..models.org import Org
from .parser import Query
from .plan import Plan

CACHED_PLANS = 64  # as many as parse keeps ASTs
CACHED_FROM = 1_000  # characters (about 40 Ids in an IN list): shorter ones are not kept


Token = tuple[int, date]  # what a plan was compiled under: the org's schema changes, its date


class PlanCache:
    """One org's recent plans: {(id of the AST, include_deleted): (AST, token, plan)}, the
    oldest dropped first."""

    def __init__(self, org: Org):
        self._plans: dict[tuple[int, bool], tuple[Query, Token, Plan]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def for_org(org: Org) -> PlanCache:
        return org.attached("soql_plans", PlanCache)

    def get(self, query: Query, include_deleted: bool, token: Token) -> Plan | None:
        """The plan kept for `query`, if it was compiled under `token`."""
        kept = self._plans.get((id(query), include_deleted))
        return kept[2] if kept is not None and kept[1] == token else None

    def put(self, query: Query, include_deleted: bool, token: Token, plan: Plan) -> None:
        """Keep `plan`, compiled under `token`."""
        with self._lock:
            key = (id(query), include_deleted)
            self._plans.pop(key, None)
            while len(self._plans) >= CACHED_PLANS:
                del self._plans[next(iter(self._plans))]
            self._plans[key] = (query, token, plan)
