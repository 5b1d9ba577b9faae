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
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import repeat
from json.encoder import encode_basestring_ascii as quote

from .plan import ChildPlan, Choice, Shape

MIN_ROWS = 20  # below this, the dict path costs less than making the writer
RecordWriter = Callable[[tuple, str], str]  # (row, "/services/data/vNN.N/sobjects/") -> JSON
PageWriter = Callable[[list, str], list]  # (rows, the same prefix) -> each record's JSON


class RecordsJson(list):
    """A page's records, each already JSON text; `page_json` writes the page around them."""

    def text(self) -> str:
        """The records as a JSON array."""
        return "[" + ",".join(self) + "]"


def dumps(value: object) -> str:
    """Compact JSON with ASCII escapes, as Flask's `jsonify` writes it (compact=True)."""
    return json.dumps(value, separators=(",", ":"))


def address(value: str | None) -> str:
    """A compound address, stored as JSON text."""
    return "null" if value is None else dumps(json.loads(value))


def writer(shape: Shape) -> RecordWriter | None:
    """The record writer of `shape`, compiled once; None when it holds a child subquery."""
    writers = _writers(shape)
    return None if writers is None else writers[0]


def write_records(shape: Shape, rows: Iterable[tuple], version: str) -> RecordsJson:
    """Each row's record as JSON; `shape` has a writer (see `writer`)."""
    writers = _writers(shape)
    assert writers is not None, "a shape with a child subquery takes the dict path"
    record, page = writers
    prefix = quote(f"/services/data/v{version}/sobjects/")[1:-1]
    if page is not None:
        return RecordsJson(page(rows, prefix))
    return RecordsJson(map(record, rows, repeat(prefix)))  # map: no frame of its own


def _writers(shape: Shape) -> tuple[RecordWriter, PageWriter | None] | None:
    """`shape`'s record writer and, for a record of its own columns alone, its page writer;
    compiled once, None when it holds a child subquery."""
    cached = shape.__dict__.get("_writers", False)
    if cached is False:
        cached = shape.__dict__["_writers"] = _compile(shape)
    return cached


def page_json(page: dict) -> bytes:
    """A query page (its `records` a RecordsJson, the last key) as `jsonify` writes it.

    The page's text is made by one join and encoded once: a 2,000-record page is 366 KB,
    and joining the array, bracketing it, framing the page and encoding it copied it four
    times (about 0.1 ms a page, benchmarks/README.md, Session 4)."""
    head = {key: value for key, value in page.items() if key != "records"}
    opening, closing = f'{dumps(head)[:-1]},"records":[', "]}\n"
    parts = list(page["records"]) or [""]
    parts[0] = opening + parts[0]
    parts[-1] += closing
    return ",".join(parts).encode()


def _compile(shape: Shape) -> tuple[RecordWriter, PageWriter | None] | None:
    source = _Source()
    if not source.shape(shape, "record", top=True):
        return None
    return _functions("\n".join(source.constants + source.lines))


@lru_cache(maxsize=256)
def _functions(source: str) -> tuple[RecordWriter, PageWriter | None]:
    """The writers a source defines, compiled once per distinct shape (each query compiles its
    own plan, and its shape is usually one seen before)."""
    names: dict[str, object] = {"quote": quote, "dumps": dumps, "address": address}
    # The source is made in this module: text goes in through repr, indexes are ints.
    exec(compile(source, "<sfmock.soql.render>", "exec"), names)
    return names["record"], names.get("records")  # type: ignore[return-value]


class _Source:
    """The source of one writer function per shape (the record, each parent, each TYPEOF).

    A record is one f-string of constants and column expressions: it makes no tuple or list
    per row, so a page adds nothing for the garbage collector to walk (with `"".join` of a
    tuple per row, the collections a page set off cost as much as writing it)."""

    def __init__(self) -> None:
        self.constants: list[str] = []
        self.lines: list[str] = []
        self.count = 0
        self.used: set[int] = set()  # the columns the function being written reads

    def helper(self) -> str:
        self.count += 1
        return f"part{self.count}"

    def constant(self, text: str) -> str:
        """A module-level name holding `text`."""
        name = f"K{len(self.constants)}"
        self.constants.append(f"{name} = {text!r}")
        return name

    def fstring(self, parts: list[tuple[bool, str]]) -> str:
        """An f-string of (is text, text or expression) parts, each run of text one constant."""
        out, text = [], ""
        for is_text, part in [*parts, (False, "")]:
            if is_text:
                text += part
                continue
            if text:
                out.append(f"{{{self.constant(text)}}}")
                text = ""
            if part:
                out.append(f"{{{part}}}")
        return f'f"{"".join(out)}"'

    def shape(self, shape: Shape, name: str, *, top: bool = False) -> bool:
        """Add `def name(row, prefix)` writing `shape`'s record; False for a child subquery.
        A top-level record of its own columns alone also gets `def records(rows, prefix)`,
        the same f-string in one list comprehension: a frame a page instead of a call a
        record (0.47 -> 0.40 ms for 2,000 records).

        `prefix` is the url's start, JSON-escaped (escaping goes character by character, so
        the url's escaped parts are its text's). The record's Id is quoted once, for its url
        and for its Id field (`q`, set where the url needs it); a record without parents
        unpacks its row at once (its columns are the row's: the compiler selects no column a
        shape does not read)."""
        outer, self.used = self.used, set()  # a parent's function is written in between
        nested = False
        rid = self.column(shape.id_index)
        if shape.type_index is None:  # the url: /services/data/vNN.N/sobjects/{type}/{id}
            url = [(True, quote(shape.sobject.name + "/")[1:-1]),
                   (False, f"(q := quote({rid}) if {rid}.__class__ is str else dumps({rid}))"
                            f" and (q[1:] if {rid}.__class__ is str else quote(str({rid}))[1:])")]
            quoted_id = "q"
        else:
            url = [(False, f"quote(str({self.column(shape.type_index)}) + '/' + str({rid}))"
                           "[1:]")]
            quoted_id = f"(quote({rid}) if {rid}.__class__ is str else dumps({rid}))"
        parts = [(True, '{"attributes":{"type":' + quote(shape.sobject.name) + ',"url":"'),
                 (False, "prefix"), *url, (True, "}")]
        for key, item in shape.items:
            if isinstance(item, ChildPlan):
                return False
            parts.append((True, "," + quote(key) + ":"))
            if isinstance(item, int):
                self.used.add(item)
                parts.append((False, quoted_id if item == shape.id_index
                              else _value(shape, item)))
                continue
            helper, nested = self.helper(), True
            made = self.shape(item, helper) if isinstance(item, Shape) else \
                self.choice(item, helper)
            if not made:
                return False
            parts.append((False, f"{helper}(row, prefix)"))
        parts.append((True, "}"))
        record = f"'null' if {rid} is None else {self.fstring(parts)}"
        width = max(self.used) + 1
        if top and not nested and self.used == set(range(width)):
            names = ", ".join(f"c{i}" for i in range(width)) + "," * (width == 1)
            columns = [f"    {names} = row"]
            if shape.type_index is None:
                self.lines += ["def records(rows, prefix):",
                               f"    return [{record} for {names} in rows]",
                               ""]
        else:
            columns = [f"    c{i} = row[{i}]" for i in sorted(self.used)]
        self.lines += [f"def {name}(row, prefix):", *columns, f"    return {record}", ""]
        self.used = outer
        return True

    def column(self, index: int) -> str:
        """The local holding column `index` (the function reads it from the row)."""
        self.used.add(index)
        return f"c{index}"

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
