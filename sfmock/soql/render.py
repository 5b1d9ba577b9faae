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
from itertools import repeat
from json.encoder import encode_basestring_ascii as quote
from operator import itemgetter

from .plan import ChildPlan, Choice, Shape

MIN_ROWS = 20  # below this, the dict path costs less than making the writer
RecordWriter = Callable[[tuple, str], str]  # (row, "/services/data/vNN.N/sobjects/") -> JSON
PageWriter = Callable[[list, str], list]  # (rows, the same prefix) -> each record's JSON
SHORT_TEXT = {"id", "reference", "string", "email", "phone", "url", "picklist", "combobox"}
# The bytes `quote` writes as they are: printable ASCII but the quote and the backslash.
UNESCAPED = bytes(range(0x20, 0x7F)).replace(b'"', b"").replace(b"\\", b"")


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


def write_records(shape: Shape, rows: list[tuple], version: str) -> RecordsJson:
    """Each row's record as JSON; `shape` has a writer (see `writer`).

    A page of a record of its own columns alone is written by its page writer, and its short
    text columns whose every value on the page needs no escape (Ids always, most e-mail
    addresses and names) are written as they are, quoted, by a writer made for that set of columns:
    `quote` was a third of a 2,000-row page's writing, the check costs a join and a
    translate a column (0.39 -> 0.26 ms for the Ids and e-mails of 2,000 Contacts)."""
    writers = _writers(shape)
    assert writers is not None, "a shape with a child subquery takes the dict path"
    record, page = writers
    prefix = quote(f"/services/data/v{version}/sobjects/")[1:-1]
    if page is None:
        return RecordsJson(map(record, rows, repeat(prefix)))  # map: no frame of its own
    plain = frozenset(index for index in shape.__dict__["_texts"] if _unescaped(rows, index))
    if plain:
        page = _plain_page(shape, plain)
    return RecordsJson(page(rows, prefix))


def _unescaped(rows: list[tuple], index: int) -> bool:
    """Whether column `index` holds text on every row that `quote` writes as it is."""
    try:
        text = "".join(map(itemgetter(index), rows))
    except TypeError:  # a null or a number among them
        return False
    return text.isascii() and not text.encode().translate(None, UNESCAPED)


def _writers(shape: Shape) -> tuple[RecordWriter, PageWriter | None] | None:
    """`shape`'s record writer and, for a record of its own columns alone, its page writer;
    compiled once, None when it holds a child subquery."""
    cached = shape.__dict__.get("_writers", False)
    if cached is False:
        source = _Source()
        cached = None
        if source.shape(shape, "record", top=True):
            cached = _functions("\n".join(source.constants + source.lines))
        shape.__dict__["_texts"] = source.texts
        shape.__dict__["_writers"] = cached
    return cached


def _plain_page(shape: Shape, plain: frozenset[int]) -> PageWriter:
    """`shape`'s page writer that writes the text columns `plain` unescaped, compiled once."""
    pages = shape.__dict__.setdefault("_plain_pages", {})
    page = pages.get(plain)
    if page is None:
        source = _Source(plain)
        source.shape(shape, "record", top=True)
        page = pages[plain] = _functions("\n".join(source.constants + source.lines))[1]
    return page


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

    def __init__(self, plain: frozenset[int] = frozenset()) -> None:
        self.constants: list[str] = []
        self.lines: list[str] = []
        self.count = 0
        self.used: set[int] = set()  # the columns the function being written reads
        self.plain = plain  # the page writer's text columns written unescaped
        self.texts: tuple[int, ...] = ()  # the page writer's text columns (): none

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
        plain = self.plain if top else frozenset()
        if shape.type_index is None and shape.id_index in plain:
            url = [(True, quote(shape.sobject.name + "/")[1:-1]), (False, rid), (True, '"')]
            quoted_id = None
        elif shape.type_index is None:  # the url: /services/data/vNN.N/sobjects/{type}/{id}
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
                if item in plain:  # text that needs no escape, on every row of the page
                    parts += [(True, '"'), (False, f"c{item}"), (True, '"')]
                elif item == shape.id_index:
                    parts.append((False, quoted_id))
                else:
                    parts.append((False, _value(shape, item)))
                continue
            helper, nested = self.helper(), True
            made = self.shape(item, helper) if isinstance(item, Shape) else \
                self.choice(item, helper)
            if not made:
                return False
            parts.append((False, f"{helper}(row, prefix)"))
        parts.append((True, "}"))
        record = self.fstring(parts)
        if shape.id_index not in plain:
            record = f"'null' if {rid} is None else {record}"
        width = max(self.used) + 1
        if top and not nested and self.used == set(range(width)):
            names = ", ".join(f"c{i}" for i in range(width)) + "," * (width == 1)
            columns = [f"    {names} = row"]
            if shape.type_index is None:
                self.lines += ["def records(rows, prefix):",
                               f"    return [{record} for {names} in rows]",
                               ""]
                self.texts = (shape.id_index, *(
                    item for key, item in shape.items if isinstance(item, int)
                    and item != shape.id_index and _short_text(shape, key)))
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


def _short_text(shape: Shape, key: str) -> bool:
    """Whether the field `key` holds text of 255 characters at most (a long text area's
    values would make the page's check cost as much as the quoting it saves)."""
    found = shape.sobject.field(key)
    return found is not None and found.type in SHORT_TEXT and found.length <= 255


def _value(shape: Shape, index: int) -> str:
    """The expression writing column `index` (in local `c<index>`) as JSON."""
    v = f"c{index}"
    if index in shape.booleans:
        return f"('null' if {v} is None else 'true' if {v} else 'false')"
    if index in shape.addresses:
        return f"address({v})"
    return f"(quote({v}) if {v}.__class__ is str else 'null' if {v} is None else dumps({v}))"
