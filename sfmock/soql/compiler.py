"""SOQL AST to parameterised SQLite, with SOQL's semantics made exact.

- Parent relationships become LEFT JOINs (aliases t0 for the queried object, t1... for parents).
- Comparisons are two-valued as in SOQL: `Email != 'x'` matches null Emails, `Email < 'x'`
  never does, and NOT flips a comparison whole. Every compiled predicate is 0 or 1, never NULL.
- Text compares and sorts case-insensitively (COLLATE NOCASE); LIKE is SQLite's ASCII
  case-insensitive LIKE with `\\` as escape. IDs compare exactly, in their 18-character form.
- A date literal (2026-11-28, TODAY, LAST_N_DAYS:7 ...) against a datetime field covers the
  whole local day(s) in the org's time zone; against a date field it is a range of dates.
- Values travel as parameters only; identifiers come from the schema and are quoted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import errors, ids
from ..models.org import Org
from ..models.schema import TEXT_TYPES, Field, SObjectType
from ..models.values import format_datetime
from . import literals
from .parser import Comparison, Condition, Count, Junction, Negation, Path, Query, Value
from .problems import (
    bad_relationship,
    caret,
    filter_type,
    malformed,
    no_such_column,
    unsupported_type,
)

ID_TYPES = ("id", "reference")
CASELESS_TYPES = TEXT_TYPES - set(ID_TYPES)
NUMBER_TYPES = ("int", "double")
SF_TYPE_NAMES = {"boolean": "boolean", "date": "date", "datetime": "dateTime",
                 "int": "integer", "double": "double"}


@dataclass(frozen=True)
class Column:
    alias: str
    field: Field

    @property
    def sql(self) -> str:
        return f'{self.alias}."{self.field.name}"'

    @property
    def collate(self) -> str:
        return " COLLATE NOCASE" if self.field.type in CASELESS_TYPES else ""


@dataclass
class Shape:
    """How one record (or a parent inside it) is assembled from a row of selected columns."""

    sobject: SObjectType
    id_index: int
    items: list[tuple[str, int | Shape]] = field(default_factory=list)
    booleans: set[int] = field(default_factory=set)
    addresses: set[int] = field(default_factory=set)  # compound addresses, stored as JSON

    def build(self, row: tuple, version: str) -> dict | None:
        record_id = row[self.id_index]
        if record_id is None:
            return None
        out: dict = {"attributes": {
            "type": self.sobject.name,
            "url": f"/services/data/v{version}/sobjects/{self.sobject.name}/{record_id}",
        }}
        for key, item in self.items:
            if isinstance(item, Shape):
                out[key] = item.build(row, version)
            else:
                value = row[item]
                if value is not None and item in self.booleans:
                    value = bool(value)
                elif value is not None and item in self.addresses:
                    value = json.loads(value)
                out[key] = value
        return out


@dataclass
class Plan:
    """A compiled query: how to snapshot the matching rows, fetch pages, or count."""

    sobject: SObjectType
    kind: str  # "records", "count" (COUNT()) or "aggregate" (COUNT(field) ...)
    sql: str  # records: the rowids in order; count/aggregate: the single answer row
    params: list
    page_sql: str = ""  # records: the selected columns of the rowids in a JSON array
    shape: Shape | None = None
    aggregate_keys: list[str] = field(default_factory=list)
    skip: int = 0  # aggregate: OFFSET applied to the one result row
    cap: int | None = None  # aggregate: LIMIT applied to the one result row


class _Tables:
    """Table aliases of one SQL statement: t0, then one LEFT JOIN per relationship path."""

    def __init__(self, root: SObjectType):
        self.by_path: dict[tuple[str, ...], tuple[str, SObjectType]] = {(): ("t0", root)}
        self.joins: list[str] = []

    def join(self, path: tuple[str, ...], parent_alias: str, ref: Field,
             target: SObjectType) -> str:
        if path not in self.by_path:
            alias = f"t{len(self.by_path)}"
            self.by_path[path] = (alias, target)
            self.joins.append(
                f'LEFT JOIN "{target.name}" AS {alias} ON {alias}."Id" = {parent_alias}."{ref.name}"'
            )
        return self.by_path[path][0]

    def sql(self) -> str:
        return "".join(f" {j}" for j in self.joins)


class _Compiler:
    def __init__(self, query: Query, org: Org, now: datetime):
        self.query = query
        self.soql = query.text
        self.org = org
        self.today = literals.local_today(now)
        self.root = self._root()

    def _root(self) -> SObjectType:
        lowered = self.query.sobject.lower()
        for sobject in self.org.types.values():
            if sobject.name.lower() == lowered:
                return sobject
        raise unsupported_type(self.soql, self.query.sobject_pos, self.query.sobject)

    # -- field paths -----------------------------------------------------------

    def resolve(self, path: Path, tables: _Tables) -> tuple[tuple[str, ...], Column]:
        """The relationship path and column of a field reference, joining parents as needed."""
        parts = list(path.parts)
        qualifiers = {self.root.name.lower(), (self.query.alias or "").lower()}
        if len(parts) > 1 and parts[0].lower() in qualifiers and not self.root.relationship(
                parts[0]):
            parts = parts[1:]
        sobject, alias, rels = self.root, "t0", ()
        security = self.org.field_security
        for part in parts[:-1]:
            ref = sobject.relationship(part)
            target = self.org.types.get(ref.reference_to[0]) if ref else None
            if ref is None or target is None or not security.readable(sobject, ref):
                raise bad_relationship(self.soql, path.pos, part)
            rels = (*rels, ref.relationship_name)
            alias = tables.join(rels, alias, ref, target)
            sobject = target
        f = sobject.field(parts[-1])
        if f is None or not security.readable(sobject, f):
            raise no_such_column(self.soql, path.pos, parts[-1], sobject.name)
        return rels, Column(alias, f)

    # -- the statement -----------------------------------------------------------

    def plan(self, include_deleted: bool) -> Plan:
        query = self.query
        tables = _Tables(self.root)  # joins of WHERE, ORDER BY and aggregates
        counts = [i for i in query.select if isinstance(i, Count)]
        if counts and len(counts) != len(query.select):
            plain = next(i for i in query.select if isinstance(i, Path))
            raise malformed(self.soql, plain.pos,
                            f"Field must be grouped or aggregated: {'.'.join(plain.parts)}")
        select_tables = _Tables(self.root)
        shape, columns = (None, []) if counts else self.select(select_tables)
        aggregates = [self.resolve(c.path, tables)[1] for c in counts if c.path is not None]
        params: list = []
        where = self.where(tables, params)
        if not include_deleted:
            where = f't0."IsDeleted" = 0 AND {where}' if where else 't0."IsDeleted" = 0'
        if aggregates and query.order_by:
            key = query.order_by[0].path
            raise malformed(self.soql, key.pos,
                            f"Ordered field must be grouped or aggregated: {'.'.join(key.parts)}")
        order = self.order_by(tables)
        source = f'FROM "{self.root.name}" AS t0{tables.sql()}' + (
            f" WHERE {where}" if where else "")
        window = " LIMIT ? OFFSET ?"
        window_params = [-1 if query.limit is None else query.limit, query.offset or 0]
        if query.is_count:
            sql = f"SELECT count(*) FROM (SELECT 1 {source}{window})"
            return Plan(self.root, "count", sql, params + window_params)
        if aggregates:
            expressions = ", ".join(f"count({column.sql})" for column in aggregates)
            keys = [c.alias or f"expr{i}" for i, c in enumerate(counts)]
            return Plan(self.root, "aggregate", f"SELECT {expressions} {source}", params,
                        aggregate_keys=keys, skip=query.offset or 0, cap=query.limit)
        order_sql = ", ".join([*order, "t0.rowid"])
        sql = f"SELECT t0.rowid {source} ORDER BY {order_sql}{window}"
        page_sql = (
            f"SELECT {', '.join(columns)} FROM json_each(?) AS page "
            f'JOIN "{self.root.name}" AS t0 ON t0.rowid = page.value{select_tables.sql()} '
            "ORDER BY page.key"
        )
        return Plan(self.root, "records", sql, params + window_params, page_sql, shape)

    def select(self, tables: _Tables) -> tuple[Shape, list[str]]:
        columns: list[str] = []

        def index_of(column: Column) -> int:
            if column.sql not in columns:
                columns.append(column.sql)
            return columns.index(column.sql)

        root = Shape(self.root, index_of(Column("t0", self.root.fields["Id"])))
        shapes: dict[tuple[str, ...], Shape] = {(): root}
        for item in self.query.select:
            rels, column = self.resolve(item, tables)
            shape = root
            for depth in range(1, len(rels) + 1):
                key = rels[:depth]
                if key not in shapes:
                    alias, sobject = tables.by_path[key]
                    shapes[key] = Shape(sobject, index_of(Column(alias, sobject.fields["Id"])))
                    shape.items.append((rels[depth - 1], shapes[key]))
                shape = shapes[key]
            if any(name == column.field.name for name, _ in shape.items):
                raise errors.InvalidField(f"duplicate field selected: {'.'.join(item.parts)}")
            index = index_of(column)
            shape.items.append((column.field.name, index))
            if column.field.type == "boolean":
                shape.booleans.add(index)
            elif column.field.type == "address":
                shape.addresses.add(index)
        return root, columns

    def order_by(self, tables: _Tables) -> list[str]:
        keys = []
        for key in self.query.order_by:
            column = self.resolve(key.path, tables)[1]
            direction = "DESC" if key.descending else "ASC"
            nulls = "LAST" if key.nulls_last else "FIRST"
            keys.append(f"{column.sql}{column.collate} {direction} NULLS {nulls}")
        return keys

    # -- WHERE -----------------------------------------------------------------

    def where(self, tables: _Tables, params: list) -> str:
        if self.query.where is None:
            return ""
        return self.condition(self.query.where, tables, params)

    def condition(self, node: Condition, tables: _Tables, params: list) -> str:
        if isinstance(node, Junction):
            parts = [self.condition(item, tables, params) for item in node.items]
            return "(" + f" {node.op} ".join(parts) + ")"
        if isinstance(node, Negation):
            return f"(NOT {self.condition(node.item, tables, params)})"
        return self.comparison(node, tables, params)

    def comparison(self, node: Comparison, tables: _Tables, params: list) -> str:
        column = self.resolve(node.path, tables)[1]
        c, collate = column.sql, column.collate
        if node.op == "LIKE":
            value = node.value
            if column.field.type not in CASELESS_TYPES:
                kind = "id" if column.field.type in ID_TYPES else SF_TYPE_NAMES[column.field.type]
                raise errors.InvalidQueryFilterOperator(
                    caret(self.soql, value.pos, f"invalid operator on {kind} field"))
            params.append(value.like)
            return f"({c} IS NOT NULL AND {c} LIKE ? ESCAPE '\\')"
        if node.op in ("IN", "NOT IN"):
            operands = [self.operand(column, v) for v in node.value]
            points = [o for o in operands if o is not None and not isinstance(o, tuple)]
            tests = []
            if points:
                params.extend(points)
                marks = ", ".join("?" * len(points))
                tests.append(f"({c} IS NOT NULL AND {c}{collate} IN ({marks}))")
            for operand in operands:
                if operand is None:
                    tests.append(f"{c} IS NULL")
                elif isinstance(operand, tuple):
                    params.extend(operand)
                    tests.append(f"({c} IS NOT NULL AND {c} >= ? AND {c} < ?)")
            test = "(" + " OR ".join(tests) + ")"
            return f"(NOT {test})" if node.op == "NOT IN" else test
        operand = self.operand(column, node.value)
        op = node.op
        if operand is None:
            return {"=": f"({c} IS NULL)", "!=": f"({c} IS NOT NULL)"}.get(op, "0")
        if isinstance(operand, tuple):
            low, high = operand
            bound, sql_op = {"<": (low, "<"), "<=": (high, "<"), ">": (high, ">="),
                             ">=": (low, ">=")}.get(op, (None, ""))
            if bound is not None:
                params.append(bound)
                return f"({c} IS NOT NULL AND {c} {sql_op} ?)"
            params.extend(operand)
            inside = f"({c} IS NOT NULL AND {c} >= ? AND {c} < ?)"
            return inside if op == "=" else f"(NOT {inside})"
        params.append(operand)
        if op == "!=":
            return f"({c} IS NULL OR {c}{collate} != ?)"
        return f"({c} IS NOT NULL AND {c}{collate} {op} ?)"

    def operand(self, column: Column, value: Value) -> object:
        """The stored form of a literal for this column: a value, a (low, high) range or None."""
        f = column.field
        kind = value.kind
        if kind == "null":
            return None
        if f.type in ID_TYPES:
            if kind != "string":
                raise filter_type(self.soql, value.pos, f.name, "string")
            if value.value == "":
                return None
            canonical = ids.normalise(value.value)
            if canonical is None:
                raise malformed(self.soql, value.pos, f"invalid ID field: {value.value}")
            return canonical
        if f.type in CASELESS_TYPES:
            if kind != "string":
                raise filter_type(self.soql, value.pos, f.name, "string")
            return value.value
        expected = SF_TYPE_NAMES[f.type]
        if f.type == "boolean" and kind == "boolean":
            return int(value.value)
        if f.type in NUMBER_TYPES and kind == "number":
            return value.value
        if f.type == "date" and kind in ("date", "relative"):
            if kind == "date":
                return value.value.isoformat()
            low, high = literals.date_range(value.value, value.n, self.today)
            return low.isoformat(), high.isoformat()
        if f.type == "datetime" and kind == "datetime":
            return format_datetime(value.value)
        if f.type == "datetime" and kind in ("date", "relative"):
            if kind == "date":
                low, high = value.value, value.value + timedelta(days=1)
            else:
                low, high = literals.date_range(value.value, value.n, self.today)
            return literals.local_midnight(low), literals.local_midnight(high)
        raise filter_type(self.soql, value.pos, f.name, expected)


def compile_query(query: Query, org: Org, *, include_deleted: bool, now: datetime) -> Plan:
    """The plan of a parsed query against `org`; INVALID_TYPE / INVALID_FIELD as Salesforce says."""
    return _Compiler(query, org, now).plan(include_deleted)
