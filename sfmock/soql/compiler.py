"""SOQL AST to parameterised SQLite, with SOQL's semantics made exact.

- Parent relationships become LEFT JOINs (aliases t0 for the queried object, t1... for parents).
- Comparisons are two-valued as in SOQL: `Email != 'x'` matches null Emails, `Email < 'x'`
  never does, and NOT flips a comparison whole. Every compiled predicate is 0 or 1, never NULL.
- Text compares and sorts case-insensitively (COLLATE NOCASE); LIKE is SQLite's ASCII
  case-insensitive LIKE with `\\` as escape. IDs compare exactly, in their 18-character form.
- A relative date literal (TODAY, LAST_N_DAYS:7 ...) against a datetime field covers the
  whole local day(s) in the org's time zone; against a date field it is a range of dates. A
  plain date literal against a datetime field (or a dateTime literal against a date field) is
  refused as real orgs refuse it; a dateTime literal names its whole second.
- Aggregate queries (GROUP BY [ROLLUP|CUBE], HAVING, COUNT ... MAX) compile to one SELECT per
  grouping set under a UNION ALL; date functions call a SQLite function (functions.py).
- Parent-to-child subqueries run once per page of parents; semi- and anti-joins become
  `IN (SELECT ...)` subqueries.
- Values travel as parameters only; identifiers come from the schema and are quoted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .. import errors, ids
from ..models.org import Org
from ..models.schema import TEXT_TYPES, Field, SObjectType
from ..models.values import format_datetime
from . import children, functions, literals
from .parser import (
    DATE_FUNCTIONS,
    Aliased,
    Call,
    Comparison,
    Condition,
    Expr,
    Fields,
    Junction,
    Negation,
    Path,
    Query,
    SubQuery,
    Value,
)
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
# "The SOQL FIELDS function must have a LIMIT of at most 200" (SOQL reference, FIELDS()).
FIELDS_LIMIT = 200
# Aggregate results come in one batch: "Aggregate query does not support queryMore(), use
# LIMIT to restrict the results to a single batch" (SOQL reference, GROUP BY considerations).
MAX_AGGREGATE_ROWS = 2000
MAX_SEMI_JOINS = 2  # "No more than two IN or NOT IN statements per WHERE clause"


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
    items: list[tuple[str, int | Shape | ChildPlan]] = field(default_factory=list)
    booleans: set[int] = field(default_factory=set)

    def build(self, row: tuple, version: str) -> dict | None:
        record_id = row[self.id_index]
        if record_id is None:
            return None
        out: dict = {"attributes": {
            "type": self.sobject.name,
            "url": f"/services/data/v{version}/sobjects/{self.sobject.name}/{record_id}",
        }}
        for key, item in self.items:
            if item.__class__ is int:  # the common case first: a column of this row
                value = row[item]
                out[key] = bool(value) if item in self.booleans and value is not None else value
            elif isinstance(item, Shape):
                out[key] = item.build(row, version)
            else:
                out[key] = None  # a child subquery: the engine fills the whole page at once
        return out

    @property
    def children(self) -> list[tuple[str, ChildPlan]]:
        return [(key, item) for key, item in self.items if isinstance(item, ChildPlan)]


@dataclass
class Plan:
    """A compiled query: how to snapshot the matching rows, fetch pages, or count."""

    sobject: SObjectType
    kind: str  # "records", "count" (COUNT()) or "aggregate" (GROUP BY, COUNT(field) ...)
    sql: str  # records: the rowids in order; count: the number; aggregate: the result rows
    params: list
    page_sql: str = ""  # records: the selected columns of the rowids in a JSON array
    shape: Shape | None = None
    aggregate_keys: list[str] = field(default_factory=list)
    booleans: set[int] = field(default_factory=set)  # aggregate: boolean columns


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


def _text(node: Expr) -> str:
    """A field expression as written, for error messages: `Account.Name`, `COUNT(Id)`."""
    if isinstance(node, Path):
        return ".".join(node.parts)
    return f"{node.name}({'' if node.arg is None else _text(node.arg)})"


def _semi_joins(node: Condition | None) -> list[Comparison]:
    if node is None:
        return []
    if isinstance(node, Junction):
        return [c for item in node.items for c in _semi_joins(item)]
    if isinstance(node, Negation):
        return _semi_joins(node.item)
    return [node] if isinstance(node.value, SubQuery) else []


class _Compiler:
    def __init__(self, query: Query, org: Org, now: datetime, root: SObjectType | None = None):
        self.query = query
        self.soql = query.text
        self.org = org
        self.now = now
        self.today = literals.local_today(now)
        self.root = root or self._root()
        self.grouped: dict[str, Column] = {}  # aggregate queries: GROUP BY expressions by SQL
        org.attached("soql_functions", lambda o: functions.register(o.db.conn) or True)

    def _root(self) -> SObjectType:
        lowered = self.query.sobject.lower()
        for sobject in self.org.types.values():
            if sobject.name.lower() == lowered:
                return sobject
        raise unsupported_type(self.soql, self.query.sobject_pos, self.query.sobject)

    # -- field paths and expressions ---------------------------------------------

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

    def expression(self, node: Expr, tables: _Tables) -> tuple[tuple[str, ...], Column]:
        """A field or function of fields as a column: its relationship path and SQL."""
        if isinstance(node, Path):
            return self.resolve(node, tables)
        name = node.name
        if node.arg is None:  # COUNT()
            return (), Column("t0", Field("COUNT", "COUNT", "int"), "count(*)")
        if name == "TOLABEL":
            # sfmock's picklist values are their own labels, so the label is the stored value.
            if not isinstance(node.arg, Path):
                raise self.unexpected(node.arg.pos, node.arg.name)
            return self.resolve(node.arg, tables)
        if name in DATE_FUNCTIONS:
            return (), self.date_function(node, tables)
        if name == "CONVERTTIMEZONE":
            raise malformed(self.soql, node.pos,
                            "convertTimezone() can only be used inside a date function")
        if name == "GROUPING":
            return (), self.grouping(node, tables)
        if name == "FORMAT":
            raise malformed(self.soql, node.pos, (
                "sfmock does not implement FORMAT(): select the field itself and format it in "
                "the client"))
        return (), self.aggregate(node, tables)

    def date_function(self, node: Call, tables: _Tables) -> Column:
        arg, local = node.arg, 0
        if isinstance(arg, Call) and arg.name == "CONVERTTIMEZONE":
            arg, local = arg.arg, 1
        if not isinstance(arg, Path):
            raise self.unexpected(arg.pos, arg.name)
        column = self.resolve(arg, tables)[1]
        kind = column.field.type
        wants_time = node.name in ("HOUR_IN_DAY", "DAY_ONLY") or local
        if kind not in ("date", "datetime") or (wants_time and kind != "datetime"):
            expected = "dateTime" if wants_time else "date or dateTime"
            raise malformed(self.soql, node.pos, (
                f"{node.name} needs a {expected} field, and {column.field.name} is of type "
                f"{SF_TYPE_NAMES.get(kind, kind)}"))
        result = Field(column.field.name, node.name, "date" if node.name == "DAY_ONLY" else "int")
        return Column(column.alias, result,
                      f"{functions.DATE_PART}('{node.name}', {column.sql}, {local})")

    def aggregate(self, node: Call, tables: _Tables) -> Column:
        """COUNT, COUNT_DISTINCT, SUM, AVG, MIN or MAX of a field (or of a date function)."""
        inner = node.arg
        if isinstance(inner, Call) and inner.name in DATE_FUNCTIONS:
            column = self.date_function(inner, tables)
            aggregatable = True
        elif isinstance(inner, Path):
            column = self.resolve(inner, tables)[1]
            aggregatable = column.field.describe()["aggregatable"]
        else:
            raise self.unexpected(inner.pos, inner.name)
        kind = column.field.type
        name = node.name
        # SOQL reference, "Support for Field Types in Aggregate Functions": AVG and SUM take
        # numbers only; dates and text allow COUNT, COUNT_DISTINCT, MIN and MAX; booleans none.
        if not aggregatable or (name in ("SUM", "AVG") and kind not in NUMBER_TYPES):
            # Worded as a real org answered `COUNT(Id)` on FeedItem, caret under the field
            # (forcedotcom/SFDX-Data-Move-Utility#46).
            raise malformed(self.soql, inner.pos,
                            f"field {column.field.name} does not support aggregate operator {name}")
        sql = column.sql
        if name == "COUNT":
            return Column(column.alias, Field(column.field.name, name, "int"), f"count({sql})")
        if name == "COUNT_DISTINCT":
            return Column(column.alias, Field(column.field.name, name, "int"),
                          f"count(DISTINCT {sql}{column.collate})")
        if name == "AVG":
            return Column(column.alias, Field(column.field.name, name, "double"), f"avg({sql})")
        function = {"SUM": "sum", "MIN": "min", "MAX": "max"}[name]
        collate = column.collate if name in ("MIN", "MAX") else ""
        return Column(column.alias, column.field, f"{function}({sql}{collate})")

    def unexpected(self, pos: int, text: str) -> errors.SalesforceError:
        return malformed(self.soql, pos, f"unexpected token: '{text}'")

    # -- the statement -----------------------------------------------------------

    def plan(self, include_deleted: bool) -> Plan:
        query = self.query
        tables = _Tables(self.root)  # joins of WHERE, GROUP BY, HAVING, ORDER BY, aggregates
        params: list = []
        where = self.where(tables, params, include_deleted)
        if query.is_aggregate:
            return self.aggregate_plan(tables, where, params)
        if query.having is not None:
            raise malformed(self.soql, self._first_pos(query.having),
                            "HAVING needs a GROUP BY or aggregate query")
        window = " LIMIT ? OFFSET ?"
        window_params = [-1 if query.limit is None else query.limit, query.offset or 0]
        if query.is_count:
            grouping = self.group_sql(tables)
            source = self.source(tables, where)
            sql = f"SELECT count(*) FROM (SELECT 1 {source}{grouping}{window})"
            return Plan(self.root, "count", sql, params + window_params)
        select_tables = _Tables(self.root)
        shape, columns = self.select(select_tables, include_deleted)
        order = self.order_by(tables)
        order_sql = ", ".join([*order, "t0.rowid"])
        sql = f"SELECT t0.rowid {self.source(tables, where)} ORDER BY {order_sql}{window}"
        page_sql = (
            f"SELECT {', '.join(columns)} FROM json_each(?) AS page "
            f'JOIN "{self.root.name}" AS t0 ON t0.rowid = page.value{select_tables.sql()} '
            "ORDER BY page.key"
        )
        return Plan(self.root, "records", sql, params + window_params, page_sql, shape)

    def source(self, tables: _Tables, where: str) -> str:
        return f'FROM "{self.root.name}" AS t0{tables.sql()}' + (
            f" WHERE {where}" if where else "")

    def group_sql(self, tables: _Tables) -> str:
        keys = [f"{column.sql}{column.collate}" for column in self.group_columns(tables)]
        return f" GROUP BY {', '.join(keys)}" if keys else ""

    def group_columns(self, tables: _Tables) -> list[Column]:
        """The GROUP BY expressions, each checked groupable as the describe says."""
        columns = []
        for node in self.query.group_by:
            if isinstance(node, Call) and (node.is_aggregate or node.name == "GROUPING"):
                raise self.unexpected(node.pos, node.name)
            column = self.expression(node, tables)[1]
            if not column.expression and not column.field.describe()["groupable"]:
                # The describe's `groupable` decides (SOQL reference, Considerations for GROUP BY).
                raise malformed(self.soql, node.pos,
                                f"field '{column.field.name}' can not be grouped in a query call")
            self.grouped[column.sql] = column
            columns.append(column)
        return columns

    def grouping(self, node: Call, tables: _Tables) -> Column:
        """GROUPING(field): 1 on a ROLLUP/CUBE subtotal row of that field, else 0."""
        column = self.expression(node.arg, tables)[1]
        if column.sql not in self.grouped:
            raise malformed(self.soql, node.pos,
                            f"Field must be grouped or aggregated: {_text(node.arg)}")
        index = list(self.grouped).index(column.sql)
        return Column("t0", Field(column.field.name, "GROUPING", "int"), f"__grouping_{index}__")

    def grouping_sets(self, count: int) -> list[tuple[int, ...]]:
        """Which GROUP BY expressions each part groups by: one part, or ROLLUP's or CUBE's."""
        every = tuple(range(count))
        if self.query.group_mode == "ROLLUP":
            return [every[:size] for size in range(count, -1, -1)]
        if self.query.group_mode == "CUBE":
            subsets = [tuple(i for i in every if mask >> i & 1) for mask in range(2 ** count)]
            return sorted(subsets, key=lambda subset: (-len(subset), subset))
        return [every]

    def aggregate_plan(self, tables: _Tables, where: str, params: list) -> Plan:
        """GROUP BY (with ROLLUP or CUBE) and aggregate functions: AggregateResult rows.

        Per the SOQL reference (Using Aliases with GROUP BY), an aggregated field without an
        alias is named expr0, expr1, ... counting only the unaliased ones. ROLLUP and CUBE add
        subtotal rows whose rolled-up fields are null (GROUPING(field) tells them apart); each
        grouping set is one part of a UNION ALL, subtotals after the rows they total.
        """
        query = self.query
        groups = self.group_columns(tables)
        outputs: list[str] = []
        keys: list[str] = []
        booleans: set[int] = set()
        unnamed = 0
        for item in query.select:
            if isinstance(item, (Fields, SubQuery)):
                raise malformed(self.soql, item.pos,
                                "Field must be grouped or aggregated: "
                                + ("FIELDS()" if isinstance(item, Fields) else "subquery"))
            node = item.path if isinstance(item, Aliased) else item
            alias = item.alias if isinstance(item, (Aliased, Call)) else None
            column = self.grouped_or_aggregate(node, tables, "Field")
            if alias:
                key = alias
            elif isinstance(node, Call) and node.name != "TOLABEL":
                key = f"expr{unnamed}"
                unnamed += 1
            else:
                key = column.field.name
            if column.field.type == "boolean" and not column.expression:
                booleans.add(len(outputs))
            keys.append(key)
            outputs.append(column.sql)
        having_params: list = []
        having = ""
        if query.having is not None:
            having = self.condition(query.having, tables, having_params, having=True)
        order: list[tuple[str, str]] = []  # (expression, "COLLATE ... ASC NULLS ...")
        for key in query.order_by:
            column = self.grouped_or_aggregate(key.path, tables, "Ordered field")
            direction = "DESC" if key.descending else "ASC"
            nulls = "LAST" if key.nulls_last else "FIRST"
            order.append((column.sql, f"{column.collate} {direction} NULLS {nulls}"))
        if query.group_mode and not order:
            for index, column in enumerate(groups):
                order += [(f"__grouping_{index}__", " ASC"), (column.sql, f"{column.collate} ASC")]
        source = self.source(tables, where)
        parts: list[str] = []
        part_params: list = []
        for subset in self.grouping_sets(len(groups)):
            def render(sql: str, subset: tuple[int, ...] = subset) -> str:
                for index, column in sorted(enumerate(groups), key=lambda g: -len(g[1].sql)):
                    kept = index in subset
                    sql = sql.replace(f"__grouping_{index}__", "0" if kept else "1")
                    if not kept:
                        sql = sql.replace(column.sql, "NULL")
                return sql

            selected = [f"{render(sql)} AS c{i}" for i, sql in enumerate(outputs)]
            selected += [f"{render(sql)} AS o{i}" for i, (sql, _) in enumerate(order)]
            grouping = ", ".join(f"{groups[i].sql}{groups[i].collate}" for i in subset)
            parts.append(f"SELECT {', '.join(selected)} {source}"
                         + (f" GROUP BY {grouping}" if grouping else "")
                         + (f" HAVING {render(having)}" if having else ""))
            part_params += params + having_params
        order_sql = ", ".join(f"o{i}{how}" for i, (_, how) in enumerate(order))
        columns = ", ".join(f"c{i}" for i in range(len(outputs)))
        sql = (f"SELECT {columns} FROM ({' UNION ALL '.join(parts)})"
               + (f" ORDER BY {order_sql}" if order_sql else "") + " LIMIT ? OFFSET ?")
        window_params = [-1 if query.limit is None else query.limit, query.offset or 0]
        return Plan(self.root, "aggregate", sql, part_params + window_params,
                    aggregate_keys=keys, booleans=booleans)

    def grouped_or_aggregate(self, node: Expr, tables: _Tables, what: str) -> Column:
        """The column of an aggregate, or of an expression the query groups by."""
        column = self.expression(node, tables)[1]
        if isinstance(node, Call) and (node.is_aggregate or node.name == "GROUPING"):
            return column
        if column.sql not in self.grouped:
            raise malformed(self.soql, node.pos,
                            f"{what} must be grouped or aggregated: {_text(node)}")
        return column

    def select(self, tables: _Tables, include_deleted: bool = False) -> tuple[Shape, list[str]]:
        columns: list[str] = []

        def index_of(column: Column) -> int:
            if column.sql not in columns:
                columns.append(column.sql)
            return columns.index(column.sql)

        root = Shape(self.root, index_of(Column("t0", self.root.fields["Id"])))
        shapes: dict[tuple[str, ...], Shape] = {(): root}
        for item, shown in self.select_items():
            if isinstance(item, SubQuery):
                child = self.child_plan(item, include_deleted)
                name = children.find(self.org, self.root, item.query.sobject).name
                root.items.append((name, child))
                continue
            if isinstance(item, Aliased):
                raise malformed(self.soql, item.path.pos,
                                "only aggregate expressions use field aliasing")
            if isinstance(item, Call) and item.name != "TOLABEL":
                if item.name in ("FORMAT", "CONVERTTIMEZONE"):
                    self.expression(item, tables)  # refused with its own words
                raise malformed(self.soql, item.pos,
                                f"Field must be grouped or aggregated: {_text(item)}")
            if isinstance(item, Call) and item.alias:
                raise malformed(self.soql, item.pos,
                                "only aggregate expressions use field aliasing")
            rels, column = self.expression(item, tables)
            shape = root
            for depth in range(1, len(rels) + 1):
                key = rels[:depth]
                if key not in shapes:
                    alias, sobject = tables.by_path[key]
                    shapes[key] = Shape(sobject, index_of(Column(alias, sobject.fields["Id"])))
                    shape.items.append((rels[depth - 1], shapes[key]))
                shape = shapes[key]
            if any(name == column.field.name for name, _ in shape.items):
                raise errors.InvalidField(f"duplicate field selected: {shown}")
            index = index_of(column)
            shape.items.append((column.field.name, index))
            if column.field.type == "boolean":
                shape.booleans.add(index)
        return root, columns

    def select_items(self) -> list[tuple[object, str]]:
        """The SELECT list with FIELDS(...) expanded: (item, its text for error messages)."""
        out: list[tuple[object, str]] = []
        security = self.org.field_security
        for item in self.query.select:
            if not isinstance(item, Fields):
                shown = _text(item) if isinstance(item, (Path, Call)) else ""
                out.append((item, shown))
                continue
            limit = self.query.limit
            if item.group != "STANDARD" and (limit is None or limit > FIELDS_LIMIT):
                # Quoted bare (no caret block) by clients that met it on real orgs.
                raise errors.MalformedQuery(
                    f"The SOQL FIELDS function must have a LIMIT of at most {FIELDS_LIMIT}")
            for f in self.root.fields.values():
                wanted = {"ALL": True, "CUSTOM": f.custom, "STANDARD": not f.custom}[item.group]
                if wanted and security.readable(self.root, f):
                    out.append((Path((f.name,), item.pos), f.name))
        return out

    def child_plan(self, node: SubQuery, include_deleted: bool) -> ChildPlan:
        """A parent-to-child subquery, named by its child relationship (Account -> Contacts)."""
        inner = node.query
        found = children.find(self.org, self.root, inner.sobject)
        if found is None:
            raise errors.InvalidType(caret(self.soql, inner.sobject_pos, (
                f"Didn't understand relationship '{inner.sobject}' in FROM part of query call. "
                "If you are attempting to use a custom relationship, be sure to append the '__r' "
                "after the custom relationship name. Please reference your WSDL or the describe "
                "call for the appropriate names.")))
        if inner.is_aggregate or inner.is_count:
            raise malformed(self.soql, node.pos, "only root queries support aggregate expressions")
        compiler = _Compiler(inner, self.org, self.now, root=found.child)
        tables = _Tables(found.child)
        params: list = []
        where = compiler.where(tables, params, include_deleted)
        shape, columns = compiler.select(tables)  # its joins and the filter's share one statement
        order = compiler.order_by(tables)
        joins = tables.sql()
        parent = f't0."{found.field.name}"'
        condition = f"{parent} IN (SELECT value FROM json_each(?))" + (
            f" AND {where}" if where else "")
        order_sql = ", ".join([parent, *order, "t0.rowid"])
        sql = (f"SELECT {', '.join(columns)}, {parent} FROM \"{found.child.name}\" AS t0{joins} "
               f"WHERE {condition} ORDER BY {order_sql}")
        return ChildPlan(found.child, sql, params, shape, len(columns), inner.limit,
                         inner.offset or 0)

    def order_by(self, tables: _Tables) -> list[str]:
        keys = []
        for key in self.query.order_by:
            column = self.expression(key.path, tables)[1]
            if isinstance(key.path, Call):
                raise malformed(self.soql, key.path.pos,
                                f"Ordered field must be grouped or aggregated: {_text(key.path)}")
            direction = "DESC" if key.descending else "ASC"
            nulls = "LAST" if key.nulls_last else "FIRST"
            keys.append(f"{column.sql}{column.collate} {direction} NULLS {nulls}")
        return keys

    # -- WHERE -----------------------------------------------------------------

    def where(self, tables: _Tables, params: list, include_deleted: bool = True) -> str:
        sql = ""
        joins = _semi_joins(self.query.where)
        if len(joins) > MAX_SEMI_JOINS:
            raise malformed(self.soql, joins[MAX_SEMI_JOINS].path.pos, (
                f"No more than {MAX_SEMI_JOINS} semi join or anti join sub-selects are allowed "
                "in a WHERE clause"))
        if self.query.where is not None:
            sql = self.condition(self.query.where, tables, params)
        if not include_deleted:
            sql = f't0."IsDeleted" = 0 AND {sql}' if sql else 't0."IsDeleted" = 0'
        return sql

    def condition(self, node: Condition, tables: _Tables, params: list,
                  having: bool = False) -> str:
        if isinstance(node, Junction):
            if node.op == "OR" and _semi_joins(node):
                # Semi-join and anti-join restrictions, SOQL reference: no OR around them.
                raise malformed(self.soql, _semi_joins(node)[0].path.pos,
                                "Semi join sub-selects are not allowed with the 'OR' operator")
            parts = [self.condition(item, tables, params, having) for item in node.items]
            return "(" + f" {node.op} ".join(parts) + ")"
        if isinstance(node, Negation):
            if _semi_joins(node.item):
                raise malformed(self.soql, _semi_joins(node.item)[0].path.pos,
                                "Semi join sub-selects can not be negated with NOT: use NOT IN")
            return f"(NOT {self.condition(node.item, tables, params, having)})"
        return self.comparison(node, tables, params, having)

    def _first_pos(self, node: Condition) -> int:
        while not isinstance(node, Comparison):
            node = node.items[0] if isinstance(node, Junction) else node.item
        return node.path.pos

    def comparison(self, node: Comparison, tables: _Tables, params: list,
                   having: bool = False) -> str:
        if having:
            column = self.grouped_or_aggregate(node.path, tables, "Field")
        else:
            if isinstance(node.path, Call) and node.path.is_aggregate:
                raise self.unexpected(node.path.pos, node.path.name)
            column = self.expression(node.path, tables)[1]
        c, collate = column.sql, column.collate
        if isinstance(node.value, SubQuery):
            return self.semi_join(node, column, params)
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

    def semi_join(self, node: Comparison, column: Column, params: list) -> str:
        """`Id IN (SELECT AccountId FROM Contact ...)`: a semi-join, or with NOT IN an anti-join.

        The SOQL reference's restrictions (Semi-Joins with IN and Anti-Joins with NOT IN): the
        left operand is one Id or reference field; the subquery selects one Id or reference
        field of the same object type, on another object, without traversing a relationship;
        COUNT, ORDER BY and LIMIT are not supported in it, nor a nested semi-join; no more than
        two per WHERE clause, and neither OR nor NOT around them (see `condition`).
        """
        inner = node.value.query
        compiler = _Compiler(inner, self.org, self.now)
        if column.field.type not in ID_TYPES or column.expression:
            raise malformed(self.soql, node.path.pos, (
                f"semi join sub selects are only allowed on id or reference fields, cannot use: "
                f"'{_text(node.path)}'"))
        item = inner.select[0]
        if len(inner.select) != 1 or not isinstance(item, Path):
            raise malformed(self.soql, node.value.pos,
                            "semi join sub selects can only query one id or reference field")
        tables = _Tables(compiler.root)
        rels, selected = compiler.resolve(item, tables)
        if selected.field.type not in ID_TYPES or rels:
            # A real org's words (recorded): "semi join sub selects can only query id fields,
            # cannot use: 'ACCT_OWNER_ID__c'".
            raise malformed(self.soql, item.pos, (
                f"semi join sub selects can only query id fields, cannot use: "
                f"'{_text(item)}'"))
        if compiler.root is self.root:
            raise malformed(self.soql, inner.sobject_pos,
                            "The inner and outer selects should not be on the same object type")
        left = {self.root.name} if column.field.type == "id" else set(column.field.reference_to)
        right = ({compiler.root.name} if selected.field.type == "id"
                 else set(selected.field.reference_to))
        if not left & right:
            raise malformed(self.soql, item.pos, (
                f"semi join sub select field {_text(item)} does not reference the same object "
                f"type as {_text(node.path)}"))
        if _semi_joins(inner.where):
            raise malformed(self.soql, node.value.pos,
                            "Nesting of semi join sub-selects is not supported")
        if (inner.is_aggregate or inner.is_count or inner.order_by or inner.limit is not None
                or inner.offset is not None):
            raise malformed(self.soql, node.value.pos, (
                "COUNT, ORDER BY, LIMIT and OFFSET are not supported in semi join sub-selects"))
        where = compiler.where(tables, params, include_deleted=False)
        subquery = (f"SELECT {selected.sql} FROM \"{compiler.root.name}\" AS t0{tables.sql()} "
                    f"WHERE {selected.sql} IS NOT NULL AND {where}")
        c = column.sql
        if node.op == "IN":
            return f"({c} IS NOT NULL AND {c} IN ({subquery}))"
        return f"({c} IS NULL OR {c} NOT IN ({subquery}))"

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
                # restforce/restforce#557: a malformed Id literal is INVALID_QUERY_FILTER_OPERATOR.
                raise errors.InvalidQueryFilterOperator(
                    caret(self.soql, value.pos, f"invalid ID field: {value.value}"))
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
            # Real orgs store dateTimes to the second, so a literal names a whole second:
            # comparing against [second, second + 1) is right whether or not stored values
            # still carry milliseconds.
            second = value.value.replace(microsecond=0)
            return format_datetime(second), format_datetime(second + timedelta(seconds=1))
        if f.type == "datetime" and kind == "relative":
            low, high = literals.date_range(value.value, value.n, self.today)
            return literals.local_midnight(low), literals.local_midnight(high)
        # A date literal against a dateTime field is refused ("value of filter criterion for
        # field 'CreatedDate' must be of type dateTime and should not be enclosed in quotes"),
        # as is a dateTime literal against a date field.
        raise filter_type(self.soql, value.pos, f.name, expected)


def compile_query(query: Query, org: Org, *, include_deleted: bool, now: datetime) -> Plan:
    """The plan of a parsed query against `org`; INVALID_TYPE / INVALID_FIELD as Salesforce says."""
    return _Compiler(query, org, now).plan(include_deleted)
