"""Running SOQL against an org: first pages, query locators (cursors) and queryMore, each
cursor a snapshot of rowids (docs/emulator.md, "SOQL paging")."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from .. import errors, ids
from ..models.org import Org
from . import render
from .compiler import compile_query
from .grouping import MAX_AGGREGATE_ROWS
from .parser import parse
from .plan import ChildPlan, Plan, Shape

DEFAULT_BATCH = 2000
MIN_BATCH = 200
LOCATOR = re.compile(r"^(01g[A-Za-z0-9]{15})-(\d+)$")
SNAPSHOT_CHUNK = 1 << 20  # characters of the rowids' JSON read at a time (about 130,000 ids)
RUN_PIECES = 32  # runs and arrays a snapshot holds at most; more, and it is one array
RUN_PARSED = 4096  # characters of a stretch parsed rather than halved further


@dataclass
class Cursor:
    id: str
    plan: Plan
    rowids: Rowids
    batch_size: int
    last_used: float = field(default=0.0)


class CursorStore:
    """An org's open query cursors, bounded in number, snapshot size and idle time."""

    max_cursors = 100
    max_ids = 5_000_000
    idle_seconds = 15 * 60

    def __init__(self, pod: str, clock: Callable[[], float] = time.monotonic):
        self.pod = pod
        self.clock = clock
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._counter = 0

    def __len__(self) -> int:
        return len(self._cursors)

    def open(self, plan: Plan, rowids: Rowids, batch_size: int) -> Cursor:
        self._expire()
        self._counter += 1
        cursor = Cursor(ids.make_id("01g", self.pod, self._counter), plan, rowids, batch_size,
                        self.clock())
        self._cursors[cursor.id] = cursor
        held = sum(len(c.rowids) for c in self._cursors.values())
        while len(self._cursors) > self.max_cursors or (
                held > self.max_ids and len(self._cursors) > 1):
            _, dropped = self._cursors.popitem(last=False)
            held -= len(dropped.rowids)
        return cursor

    def get(self, cursor_id: str) -> Cursor:
        self._expire()
        cursor = self._cursors.get(cursor_id)
        if cursor is None:
            raise errors.InvalidQueryLocator("invalid query locator")
        cursor.last_used = self.clock()
        return cursor

    def clear(self) -> None:
        self._cursors.clear()

    def _expire(self) -> None:
        horizon = self.clock() - self.idle_seconds
        for cursor_id in [k for k, c in self._cursors.items() if c.last_used < horizon]:
            del self._cursors[cursor_id]


class Runs:
    """Ascending rowids held as their runs (`range`s) and the arrays between them: the
    snapshot of a query whose rows make one long run but for a few (an org's own records
    ahead of a bulk load, say) costs no parse of the long run, and its pages inside a run are
    read by range."""

    def __init__(self, pieces: list[array | range]):
        self.pieces = pieces
        self.starts = [0, *accumulate(map(len, pieces))]

    def __len__(self) -> int:
        return self.starts[-1]

    def __iter__(self) -> Iterator[int]:
        for piece in self.pieces:
            yield from piece

    def __getitem__(self, item: slice) -> array | range:
        """The rowids of a slice (a page): a `range` when they lie in one run."""
        start, stop, _ = item.indices(len(self))
        index = bisect_right(self.starts, start) - 1
        taken: list[array | range] = []
        while start < stop:
            piece, offset = self.pieces[index], start - self.starts[index]
            part = piece[offset:offset + stop - start]
            taken.append(part)
            start, index = start + len(part), index + 1
        if len(taken) == 1:
            return taken[0]
        joined = array("q")
        for part in taken:
            joined.extend(part)
        return joined


Rowids = array | range | Runs  # a cursor's snapshot: its rowids in order, or their runs


def snapshot(conn: sqlite3.Connection, plan: Plan) -> Rowids:
    """The rowids `plan` matches, in its order.

    A query ordered by rowid alone whose rows make one run of consecutive rowids (an
    unfiltered query of a table nothing was deleted from, say) is held as that `range`, its
    pages read by range. Without a filter its count and ends cost one pass (0.4 ms for 20,000
    rows, against 2.1 ms for the array); with one, the array's text tells its runs by their
    ends and lengths, unparsed (`_runs`: parsing 100,000 rowids took 7 ms).
    Otherwise SQLite gathers the rowids into one JSON array (the aggregate takes the ordered
    subquery's rows as they come: it has a LIMIT, so it is never flattened into the
    aggregate): 20,000 rows in 2.8 ms of CPU, where a Python tuple a row took 4.4 ms
    (benchmarks/README.md, Session 4). The text is read a chunk at a time, so a million
    rowids never stand as a million Python ints at once (36 MB)."""
    if plan.span_sql:
        count, low, high = conn.execute(plan.span_sql, plan.span_params).fetchone()
        if not count:
            return array("q")
        if high - low + 1 == count:
            return range(low, high + 1)
    (text,) = conn.execute(f"SELECT json_group_array(rowid) FROM ({plan.sql})",
                           plan.params).fetchone()
    if plan.range_sql and text != "[]":  # ascending and distinct: runs tell by their lengths
        held = _runs(text)
        if held is not None:
            return held
    return _parsed(text, 1, len(text) - 1)


def _parsed(text: str, start: int, last: int) -> array:
    """The integers of `text[start:last]` ("1,2,5"), parsed a chunk at a time."""
    rowids = array("q")
    while start < last:
        end = text.find(",", start + SNAPSHOT_CHUNK, last)
        end = last if end == -1 else end
        rowids.extend(json.loads(f"[{text[start:end]}]"))
        start = end + 1
    return rowids


def _runs(text: str) -> Rowids | None:
    """The ascending, distinct rowids of a JSON array's `text` as their runs and the arrays
    between them, or None when they make more than RUN_PIECES pieces (parse them whole).

    A stretch of the text holds a run exactly when it is as long as every integer from its
    first to its last written out (`_written`): one missing would make it at least two
    characters shorter. So only a stretch's ends are parsed; a stretch that is no run is
    halved at a comma until it is one, or short enough to parse (RUN_PARSED characters)."""
    whole = (1, len(text) - 1)  # "n,n,...,n" inside the brackets
    run = _run(text, *whole)
    if run is not None:
        return run
    pieces: list[array | range] = []
    stretches = [whole]  # taken from the end: the left half is next
    while stretches:
        start, end = stretches.pop()
        if end - start <= RUN_PARSED:
            piece: array | range = _parsed(text, start, end)
        elif (run := _run(text, start, end)) is not None:
            piece = run
        else:
            half = (start + end) // 2  # a comma on either side: it holds two integers or more
            middle = text.find(",", half, end)
            middle = text.rfind(",", start, half) if middle == -1 else middle
            stretches += [(middle + 1, end), (start, middle)]
            continue
        if pieces and isinstance(piece, range) and isinstance(pieces[-1], range) \
                and pieces[-1].stop == piece.start:
            pieces[-1] = range(pieces[-1].start, piece.stop)
        elif pieces and isinstance(piece, array) and isinstance(pieces[-1], array):
            pieces[-1].extend(piece)
        elif len(pieces) == RUN_PIECES:
            return None
        else:
            pieces.append(piece)
    return pieces[0] if len(pieces) == 1 else Runs(pieces)


def _run(text: str, start: int, end: int) -> range | None:
    """The run `text[start:end]` ("4,5,6") holds, told by its ends and length, or None."""
    first_comma, last_comma = text.find(",", start, end), text.rfind(",", start, end)
    low = int(text[start:end if first_comma == -1 else first_comma])
    high = low if last_comma == -1 else int(text[last_comma + 1:end])
    return range(low, high + 1) if low > 0 and end - start == _written(low, high) else None


def _written(low: int, high: int) -> int:
    """The length of the integers `low`..`high` (0 < low <= high) written out between commas."""
    length, width = high - low, len(str(low))
    while low <= high:
        last = min(high, 10 ** width - 1)
        length += (last - low + 1) * width
        low, width = last + 1, width + 1
    return length


def first_params(plan: Plan, size: int) -> list:
    """`plan.first_sql`'s parameters: the query's, its LIMIT cut to one row past a page."""
    *params, limit, offset = plan.params
    return [*params, size + 1 if limit < 0 else min(limit, size + 1), offset]


def clamp_batch_size(requested: int | None) -> int:
    """Salesforce's batchSize rule: 2,000 by default, otherwise within 200..2,000."""
    if requested is None:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(DEFAULT_BATCH, requested))


class QueryEngine:
    """SOQL for one org: `query`/`queryAll` first pages and `queryMore` by locator."""

    def __init__(self, org: Org):
        self.org = org
        self.cursors = CursorStore(org.meta["pod"])

    @classmethod
    def for_org(cls, org: Org) -> QueryEngine:
        """The engine of `org`, created once so cursors survive between requests."""
        return org.attached("query_engine", cls)

    def query(self, soql: str, *, include_deleted: bool, batch_size: int | None = DEFAULT_BATCH,
              version: str, as_json: bool = False) -> dict:
        """The first page of `soql` as the REST API answers it; with `as_json`, its records
        may come as a `render.RecordsJson` (each record's JSON, written from the rows)."""
        self.org.behaviours.check_query(soql)
        plan = compile_query(parse(soql), self.org, include_deleted=include_deleted,
                             now=self.org.now())
        conn = self.org.db.conn
        if plan.kind == "count":
            with self.org.lock:
                total = conn.execute(plan.sql, plan.params).fetchone()[0]
            return {"totalSize": total, "done": True, "records": []}
        if plan.kind == "aggregate":
            with self.org.lock:
                rows = conn.execute(plan.sql, plan.params).fetchmany(MAX_AGGREGATE_ROWS + 1)
            if len(rows) > MAX_AGGREGATE_ROWS:
                # SOQL reference, GROUP BY considerations: no queryMore for aggregate queries.
                # The words are a real org's (quoted by many clients); the errorCode is not in
                # any recorded response found, EXCEEDED_ID_LIMIT is the best-known guess.
                raise errors.ExceededIdLimit(
                    "Aggregate query does not support queryMore(), use LIMIT to restrict the "
                    "results to a single batch")
            records = [{"attributes": {"type": "AggregateResult"}, **{
                key: bool(value) if i in plan.booleans and value is not None else value
                for i, (key, value) in enumerate(zip(plan.aggregate_keys, row, strict=True))}}
                for row in rows]
            return {"totalSize": len(records), "done": True, "records": records}
        size = clamp_batch_size(batch_size)
        limit = plan.params[-2]
        with self.org.lock:
            if plan.range_sql or 0 <= limit <= size:
                # Ordered by rowid (the scan stops a row past the page) or holding one page
                # at most: the first page's rows come straight from the query, and an answer
                # of one page (most answers) takes one statement, with no snapshot and no
                # cursor. A longer one is snapshotted after, under the same lock.
                rows = conn.execute(plan.first_sql, first_params(plan, size)).fetchall()
                rowids = snapshot(conn, plan) if len(rows) > size else None
                del rows[size:]
            else:
                # Any other ORDER BY sorts every matching row, for the first page as for the
                # snapshot: once is enough (the first page of 500,000 rows ordered by
                # SystemModstamp, Id took 0.13 s, the snapshot 0.22 s).
                rowids = snapshot(conn, plan)
                rows = self._rows(plan, rowids[:size])
            total = len(rows) if rowids is None else len(rowids)
            cursor = self.cursors.open(plan, rowids, size) if total > size else None
            rows, written = self._write(plan, rows, version, as_json)
        return self._page(plan, rows, total, 0, cursor, version, written)

    def query_more(self, locator: str, *, version: str, as_json: bool = False) -> dict:
        """The page after `locator` (`01g...-2000`); INVALID_QUERY_LOCATOR when unknown."""
        match = LOCATOR.match(locator)
        if match is None:
            raise errors.InvalidQueryLocator("invalid query locator")
        start = int(match.group(2))
        with self.org.lock:
            cursor = self.cursors.get(match.group(1))
            if start > len(cursor.rowids):
                raise errors.InvalidQueryLocator("invalid query locator")
            rows, written = self._fetch(cursor.plan, cursor.rowids[start:start + cursor.batch_size],
                                        version, as_json)
        return self._page(cursor.plan, rows, len(cursor.rowids), start, cursor, version,
                          written)

    def _rows(self, plan: Plan, rowids: Rowids) -> list[tuple]:
        """The rows of a page's rowids. A run of consecutive rowids in a query ordered by
        rowid is read by range (its rowids ascend and are distinct, so its ends say it is a
        run): 0.15 ms a 2,000-row page quicker than joining the JSON array."""
        if not rowids:
            return []
        conn = self.org.db.conn
        if plan.range_sql and rowids[-1] - rowids[0] == len(rowids) - 1:
            return conn.execute(plan.range_sql, (rowids[0], rowids[-1])).fetchall()
        return conn.execute(plan.page_sql, [json.dumps(list(rowids))]).fetchall()

    def _fetch(self, plan: Plan, rowids: Rowids, version: str,
               as_json: bool) -> tuple[list[tuple], render.RecordsJson | None]:
        """A page's rows, or (with `as_json`) its records already written as JSON."""
        return self._write(plan, self._rows(plan, rowids), version, as_json)

    @staticmethod
    def _write(plan: Plan, rows: list[tuple], version: str,
               as_json: bool) -> tuple[list[tuple], render.RecordsJson | None]:
        """`rows`, or (with `as_json`) their records written as JSON (render.py) and no rows.
        The dict path stays for a child subquery, and for too few rows to repay a writer (the
        bytes are the same). Fetched whole, then written: 0.25 ms a 2,000-row page quicker
        than writing off the cursor row by row, and no more garbage collections (the row
        tuples come from the tuple free list)."""
        if as_json and len(rows) >= render.MIN_ROWS and render.writer(plan.shape) is not None:
            return [], render.write_records(plan.shape, rows, version)
        return rows, None

    def _page(self, plan: Plan, rows: list[tuple], total: int, start: int,
              cursor: Cursor | None, version: str,
              written: render.RecordsJson | None = None) -> dict:
        end = start + len(rows if written is None else written)
        page: dict = {"totalSize": total, "done": end >= total}
        if end < total and cursor is not None:
            page["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor.id}-{end}"
        if written is not None:
            page["records"] = written
            return page
        records = [plan.shape.build(row, version) for row in rows]
        for key, child in plan.shape.children:
            self._fill_children(plan.shape, child, key, rows, records, version)
        page["records"] = records
        return page

    def _fill_children(self, shape: Shape, child: ChildPlan, key: str, rows: list[tuple],
                       records: list[dict], version: str) -> None:
        """Each record's child subquery result: `{totalSize, done, records}`, or null if none."""
        parent_ids = [row[shape.id_index] for row in rows]
        found: dict[str, list[tuple]] = {}
        with self.org.lock:
            fetched = self.org.db.conn.execute(
                child.sql, [json.dumps(parent_ids), *child.params]).fetchall()
        for row in fetched:
            found.setdefault(row[child.parent_index], []).append(row)
        for parent_id, record in zip(parent_ids, records, strict=True):
            kids = found.get(parent_id, [])[child.offset:]
            if child.limit is not None:
                kids = kids[:child.limit]
            if kids:
                record[key] = {"totalSize": len(kids), "done": True,
                               "records": [child.shape.build(k, version) for k in kids]}
