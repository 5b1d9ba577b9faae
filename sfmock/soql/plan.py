"""Compiled SOQL: the columns, record shapes and plans the compiler produces for the engine."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..models.schema import TEXT_TYPES, Field, SObjectType
from .names import NameObject
from .parser import Comparison, Condition, Expr, Junction, Negation, Path, SubQuery

ID_TYPES = ("id", "reference")
CASELESS_TYPES = TEXT_TYPES - set(ID_TYPES)
NUMBER_TYPES = ("int", "double")
SF_TYPE_NAMES = {"boolean": "boolean", "date": "date", "datetime": "dateTime",
                 "int": "integer", "double": "double"}


@dataclass(frozen=True)
class Column:
    alias: str
    field: Field
    expression: str | None = None  # a computed value (date function, aggregate) in place

    @property
    def sql(self) -> str:
        return self.expression or f'{self.alias}."{self.field.name}"'

    @property
    def collate(self) -> str:
        return " COLLATE NOCASE" if self.field.type in CASELESS_TYPES else ""


@dataclass
class ChildPlan:
    """A parent-to-child subquery: its rows for a page of parents, grouped by parent Id."""

    name: str  # the child relationship name, the key of its records
    sobject: SObjectType
    sql: str  # parameters: a JSON array of parent Ids, then `params`
    params: list
    shape: Shape
    parent_index: int  # the row index of the lookup to the parent
    limit: int | None
    offset: int


@dataclass
class Shape:
    """How one record (or a parent inside it) is assembled from a row of selected columns."""

    sobject: SObjectType
    id_index: int
    items: list[tuple[str, int | Shape | Choice | ChildPlan]] = field(default_factory=list)
    booleans: set[int] = field(default_factory=set)
    addresses: set[int] = field(default_factory=set)  # compound addresses, stored as JSON
    type_index: int | None = None  # the Name object: the column naming the record's own type

    def build(self, row: tuple, version: str) -> dict | None:
        record_id = row[self.id_index]
        if record_id is None:
            return None
        own = self.sobject.name if self.type_index is None else row[self.type_index]
        out: dict = {"attributes": {
            "type": self.sobject.name,
            "url": f"/services/data/v{version}/sobjects/{own}/{record_id}",
        }}
        for key, item in self.items:
            if item.__class__ is int:  # the common case first: a column of this row
                value = row[item]
                if value is not None and item in self.booleans:
                    value = bool(value)
                elif value is not None and item in self.addresses:
                    value = json.loads(value)
                out[key] = value
            elif isinstance(item, (Shape, Choice)):
                out[key] = item.build(row, version)
            else:
                out[key] = None  # a child subquery: the engine fills the whole page at once
        return out

    @property
    def children(self) -> list[tuple[str, ChildPlan]]:
        return [(key, item) for key, item in self.items if isinstance(item, ChildPlan)]

    @property
    def nested(self) -> bool:
        """True when a record holds more than columns and parents: child results or TYPEOF."""
        return any(isinstance(item, (ChildPlan, Choice)) for _, item in self.items)


@dataclass
class Choice:
    """TYPEOF: the referenced record, shaped by its type (one option per WHEN and the ELSE)."""

    options: list[Shape]

    def build(self, row: tuple, version: str) -> dict | None:
        for option in self.options:
            record = option.build(row, version)
            if record is not None:
                return record
        return None


@dataclass
class Plan:
    """A compiled query: how to snapshot the matching rows, fetch pages, or count."""

    sobject: SObjectType
    kind: str  # "records", "count" (COUNT()) or "aggregate" (GROUP BY, COUNT(field) ...)
    sql: str  # records: the rowids in order; count: the number; aggregate: the result rows
    params: list
    page_sql: str = ""  # records: the selected columns of the rowids in a JSON array
    shape: Shape | None = None
    first_sql: str = ""  # records: the selected columns of the query's first rows
    # Records ordered by rowid alone: the count and the first and last rowids it matches
    # (with span_params), and the selected columns of a run of rowids (engine.snapshot).
    span_sql: str = ""
    span_params: list = field(default_factory=list)
    range_sql: str = ""
    aggregate_keys: list[str] = field(default_factory=list)
    booleans: set[int] = field(default_factory=set)  # aggregate: boolean columns


class Tables:
    """Table aliases of one SQL statement: t0, then one LEFT JOIN per relationship path."""

    def __init__(self, root: SObjectType):
        self.by_path: dict[tuple[str, ...], tuple[str, SObjectType]] = {(): ("t0", root)}
        self.joins: list[str] = []

    def join(self, path: tuple[str, ...], parent_alias: str, ref: Field,
             target: SObjectType) -> str:
        if path not in self.by_path:
            alias = f"t{len(self.by_path)}"
            self.by_path[path] = (alias, target)
            source = target.source if isinstance(target, NameObject) else f'"{target.name}"'
            self.joins.append(
                f'LEFT JOIN {source} AS {alias} ON {alias}."Id" = {parent_alias}."{ref.name}"'
            )
        return self.by_path[path][0]

    def sql(self) -> str:
        return "".join(f" {j}" for j in self.joins)


def text_of(node: Expr) -> str:
    """A field expression as written, for error messages: `Account.Name`, `COUNT(Id)`."""
    if isinstance(node, Path):
        return ".".join(node.parts)
    return f"{node.name}({'' if node.arg is None else text_of(node.arg)})"


def semi_joins(node: Condition | None) -> list[Comparison]:
    if node is None:
        return []
    if isinstance(node, Junction):
        return [c for item in node.items for c in semi_joins(item)]
    if isinstance(node, Negation):
        return semi_joins(node.item)
    return [node] if isinstance(node.value, SubQuery) else []
