"""A page of query records written straight to the REST API's JSON text.

`Shape.build` makes a dict per record and Flask's `json.dumps` then walks it; for a page of
2,000 records the two were a quarter of a `query_all` (benchmarks/README.md). A shape made of
columns and parents (no child subqueries) is compiled once into a function that writes one
record's JSON from its row, with the very bytes `json.dumps(record, separators=(",", ":"),
ensure_ascii=True)` gives (tests/sfmock/soql/test_soql_render.py compares them on every kind
of value). Shapes with child subqueries keep the dict path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from json.encoder import encode_basestring_ascii as quote

from .plan import ChildPlan, Choice, Shape

MIN_ROWS = 20  # below this, building the dicts costs less than making the writer
RecordWriter = Callable[[tuple, str], str]  # (row, "/services/data/vNN.N/sobjects/") -> JSON


class RecordsJson(str):
    """A page's `records` array, already JSON text (see `page_json`)."""


def dumps(value: object) -> str:
    """Compact JSON with ASCII escapes, as Flask's `jsonify` writes it (compact=True)."""
    return json.dumps(value, separators=(",", ":"))


def address(value: str | None) -> str:
    """A compound address, stored as JSON text."""
    return "null" if value is None else dumps(json.loads(value))


def writer(shape: Shape) -> RecordWriter | None:
    """The record writer of `shape`, compiled once; None when it holds a child subquery."""
    cached = shape.__dict__.get("_writer", False)
    if cached is False:
        cached = shape.__dict__["_writer"] = _compile(shape)
    return cached


def records_json(shape: Shape, rows: list[tuple], version: str) -> RecordsJson | None:
    """The JSON array of `rows` shaped by `shape`, or None when it needs the dict path (a
    child subquery, or a page too small to repay making the writer)."""
    if len(rows) < MIN_ROWS:
        return None
    write = writer(shape)
    if write is None:
        return None
    prefix = f"/services/data/v{version}/sobjects/"
    return RecordsJson("[" + ",".join([write(row, prefix) for row in rows]) + "]")


def page_json(page: dict) -> str:
    """A query page (its `records` a RecordsJson, the last key) as `jsonify` writes it."""
    head = {key: value for key, value in page.items() if key != "records"}
    return f'{dumps(head)[:-1]},"records":{page["records"]}}}\n'


def _compile(shape: Shape) -> RecordWriter | None:
    source = _Source()
    if not source.shape(shape, "record"):
        return None
    return _function("\n".join(source.lines))


@lru_cache(maxsize=256)
def _function(source: str) -> RecordWriter:
    """The writer a source defines, compiled once per distinct shape (each query compiles its
    own plan, and its shape is usually one seen before)."""
    names: dict[str, object] = {"quote": quote, "dumps": dumps, "address": address}
    # The source is made in this module: literals go in through repr, indexes are ints.
    exec(compile(source, "<sfmock.soql.render>", "exec"), names)
    return names["record"]  # type: ignore[return-value]


class _Source:
    """The source of one writer function per shape (the record, each parent, each TYPEOF)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def helper(self) -> str:
        self.count += 1
        return f"part{self.count}"

    def shape(self, shape: Shape, name: str) -> bool:
        """Add `def name(row, prefix)` writing `shape`'s record; False for a child subquery."""
        own = repr(shape.sobject.name) if shape.type_index is None else f"row[{shape.type_index}]"
        parts = [repr('{"attributes":{"type":' + quote(shape.sobject.name) + ',"url":'),
                 f'quote(f"{{prefix}}{{{own}}}/{{rid}}")', repr("}")]
        columns = []
        for key, item in shape.items:
            if isinstance(item, ChildPlan):
                return False
            label = repr("," + quote(key) + ":")
            if isinstance(item, int):
                columns.append(f"    c{item} = row[{item}]")
                parts += [label, _value(shape, item)]
                continue
            helper = self.helper()
            made = self.shape(item, helper) if isinstance(item, Shape) else \
                self.choice(item, helper)
            if not made:
                return False
            parts += [label, f"{helper}(row, prefix)"]
        parts.append(repr("}"))
        self.lines += [f"def {name}(row, prefix):",
                       f"    rid = row[{shape.id_index}]",
                       "    if rid is None:",
                       "        return 'null'",
                       *dict.fromkeys(columns),
                       f"    return ''.join(({', '.join(parts)}))",
                       ""]
        return True

    def choice(self, choice: Choice, name: str) -> bool:
        """TYPEOF: the first option whose record is there, else null."""
        options = [self.helper() for _ in choice.options]
        for option, helper in zip(choice.options, options, strict=True):
            if not self.shape(option, helper):
                return False
        self.lines.append(f"def {name}(row, prefix):")
        for helper in options:
            self.lines += [f"    text = {helper}(row, prefix)",
                           "    if text != 'null':",
                           "        return text"]
        self.lines += ["    return 'null'", ""]
        return True


def _value(shape: Shape, index: int) -> str:
    """The expression writing column `index` (in local `c<index>`) as JSON."""
    v = f"c{index}"
    if index in shape.booleans:
        return f"('null' if {v} is None else 'true' if {v} else 'false')"
    if index in shape.addresses:
        return f"address({v})"
    return f"(quote({v}) if {v}.__class__ is str else 'null' if {v} is None else dumps({v}))"
