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

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cached_property

from .. import errors, ids
from ..models.org import Org
from ..models.schema import Field, SObjectType
from ..models.values import format_datetime
from . import functions, literals
from .grouping import Grouping
from .names import NameObject, parent_type
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
    TypeOf,
    Value,
)
from .plan import (
    CASELESS_TYPES,
    ID_TYPES,
    NUMBER_TYPES,
    SF_TYPE_NAMES,
    ChildPlan,
    Choice,
    Column,
    Plan,
    Shape,
    Tables,
    semi_joins,
    text_of,
)
from .plan_cache import CACHED_FROM, PlanCache
from .problems import (
    bad_relationship,
    caret,
    filter_type,
    malformed,
    no_such_column,
    unsupported_type,
)
from .subqueries import MAX_SEMI_JOINS, Subqueries

__all__ = ["ChildPlan", "Column", "Plan", "Shape", "compile_query"]
# "The SOQL FIELDS function must have a LIMIT of at most 200" (SOQL reference, FIELDS()).
FIELDS_LIMIT = 200
# Ids in an `Id IN (...)` list from which they drive the statement (`_Compiler.filters`). The
# JSON array costs more for one Id (3.5 against 1.9 us) and less from a few on (50 Ids: 38
# against 58 us); short lists stay as they were.
DRIVING_IDS = 10


def _lists_ids(node: Condition) -> bool:
    """Whether `node` is `Id IN (...)` of DRIVING_IDS literals or more (the field unqualified)."""
    return isinstance(node, Comparison) and node.op == "IN" and isinstance(node.path, Path) \
        and len(node.path.parts) == 1 and node.path.parts[0].lower() == "id" \
        and isinstance(node.value, tuple) and len(node.value) >= DRIVING_IDS


class _Compiler(Grouping, Subqueries):
    def __init__(self, query: Query, org: Org, now: datetime, root: SObjectType | None = None,
                 *, top: bool = False):
        self.query = query
        self.soql = query.text
        self.org = org
        self.now = now
        self.root = root or self._root()
        self.grouped: dict[str, Column] = {}  # aggregate queries: GROUP BY expressions by SQL
        self.top = top  # the query itself, not a subquery of it
        self.id_list: list[str] | None = None  # the Ids that drive the statement (`source`)
        org.attached("soql_functions", lambda o: functions.register(o.db.conn) or True)

    @cached_property
    def today(self) -> date:
        """The org's local date, for relative date literals (most queries have none)."""
        return literals.local_today(self.now)

    def _root(self) -> SObjectType:
        lowered = self.query.sobject.lower()
        for sobject in self.org.types.values():
            if sobject.name.lower() == lowered:
                return sobject
        raise unsupported_type(self.soql, self.query.sobject_pos, self.query.sobject)

    # -- field paths and expressions ---------------------------------------------

    def resolve(self, path: Path, tables: Tables) -> tuple[tuple[str, ...], Column]:
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
            target = parent_type(self.org.types, ref) if ref else None
            if ref is None or target is None or not security.readable(sobject, ref):
                raise bad_relationship(self.soql, path.pos, part)
            rels = (*rels, ref.relationship_name)
            alias = tables.join(rels, alias, ref, target)
            sobject = target
        f = sobject.field(parts[-1])
        if f is None or not security.readable(sobject, f):
            raise no_such_column(self.soql, path.pos, parts[-1], sobject.name)
        return rels, Column(alias, f)

    def expression(self, node: Expr, tables: Tables) -> tuple[tuple[str, ...], Column]:
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

    def date_function(self, node: Call, tables: Tables) -> Column:
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

    def unexpected(self, pos: int, text: str) -> errors.SalesforceError:
        return malformed(self.soql, pos, f"unexpected token: '{text}'")

    # -- the statement -----------------------------------------------------------

    def plan(self, include_deleted: bool) -> Plan:
        query = self.query
        tables = Tables(self.root)  # joins of WHERE, GROUP BY, HAVING, ORDER BY, aggregates
        params: list = []
        where = self.where(tables, params, include_deleted)
        if query.is_aggregate:
            return self.aggregate_plan(tables, where, params)
        window = " LIMIT ? OFFSET ?"
        window_params = [-1 if query.limit is None else query.limit, query.offset or 0]
        if query.having is not None and not (query.is_count and query.group_by):
            raise malformed(self.soql, self._first_pos(query.having),
                            "HAVING needs a GROUP BY or aggregate query")
        if query.is_count:  # with GROUP BY, COUNT() counts the groups
            grouping = self.group_sql(tables)
            if query.having is not None:
                grouping += " HAVING " + self.condition(query.having, tables, params, having=True)
            source = self.source(tables, where)
            sql = f"SELECT count(*) FROM (SELECT 1 {source}{grouping}{window})"
            return Plan(self.root, "count", sql, params + window_params)
        if self.id_list is not None:  # the first parameter: `source` reads it first
            params.insert(0, json.dumps(self.id_list))
        select_tables = Tables(self.root)
        shape, columns = self.select(select_tables, include_deleted)
        order = self.order_by(tables)
        order_sql = ", ".join([*order, "t0.rowid"])
        source, selected = self.source(tables, where), ", ".join(columns)
        query_sql = f"{source} ORDER BY {order_sql}{window}"
        sql = f"SELECT t0.rowid {query_sql}"
        # The page's rows in the order of its rowids: CROSS JOIN keeps json_each the outer
        # loop (SQLite never reorders it), which walks the array in order, and each join
        # under it finds at most one row; an ORDER BY page.key sorted 2,000 rows again
        # (0.1-0.2 ms a page). Pinned by the paging tests' ORDER BY across pages.
        page_sql = (
            f"SELECT {selected} FROM json_each(?) AS page "
            f'CROSS JOIN "{self.root.name}" AS t0 ON t0.rowid = page.value{select_tables.sql()}'
        )
        # The first rows' columns straight from the query (engine.first_params cuts its
        # LIMIT to a page and one): in the query itself when neither side joins a parent
        # (each row read once), else around it (CROSS JOIN keeps it the outer loop).
        if tables.joins or select_tables.joins:
            first_sql = (
                f"SELECT {selected} FROM ({sql}) AS page CROSS JOIN "
                f'"{self.root.name}" AS t0 ON t0.rowid = page.rowid{select_tables.sql()}')
        else:
            first_sql = f"SELECT {selected} {query_sql}"
        plan = Plan(self.root, "records", sql, params + window_params, page_sql, shape,
                    first_sql=first_sql)
        if not order:
            # Ordered by rowid alone: a page of consecutive rowids is read by range, a b-tree
            # walk, where the JSON array costs a seek a row.
            plan.range_sql = (
                f"SELECT {selected} FROM \"{self.root.name}\" AS t0"
                f"{select_tables.sql()} WHERE t0.rowid BETWEEN ? AND ? ORDER BY t0.rowid")
        if not order and query.where is None and query.limit is None and query.offset is None:
            # And with no filter of the caller's, engine.snapshot holds a run of consecutive
            # rowids as a range, told by its count and ends in one pass that reads no column
            # but IsDeleted (min() and max() over the rows cost a pass each). With a filter
            # that pass would read the filter's columns a second time (15 ms of 100,000
            # rows, against 19 ms for the JSON array itself), so the array is made at once.
            plan.span_sql = (f"SELECT (SELECT count(*) {source}), "
                             f"(SELECT t0.rowid {source} ORDER BY t0.rowid LIMIT 1), "
                             f"(SELECT t0.rowid {source} ORDER BY t0.rowid DESC LIMIT 1)")
            plan.span_params = params * 3
        return plan

    def source(self, tables: Tables, where: str) -> str:
        """FROM and WHERE. With Ids driving it (`filters`), each row is found from its Id, the
        Ids walked as a JSON array (its parameter comes first): for 300 Ids, the `IN` list's
        300 parameters and the temporary index SQLite builds of them each time cost 0.1 ms
        more a query in the flow (benchmarks/README.md, Session 6)."""
        table = f'"{self.root.name}" AS t0'
        if self.id_list is not None:
            table = f'json_each(?) AS ids CROSS JOIN {table} ON t0."Id" = ids.value'
        return f"FROM {table}{tables.sql()}" + (f" WHERE {where}" if where else "")

    def select(self, tables: Tables, include_deleted: bool = False) -> tuple[Shape, list[str]]:
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
                root.items.append((child.name, child))
                continue
            if isinstance(item, TypeOf):
                root.items.append(self.typeof(item, tables, index_of))
                continue
            if isinstance(item, Aliased):
                raise malformed(self.soql, item.path.pos,
                                "only aggregate expressions use field aliasing")
            if isinstance(item, Call) and item.name != "TOLABEL":
                if item.name in ("FORMAT", "CONVERTTIMEZONE"):
                    self.expression(item, tables)  # refused with its own words
                raise malformed(self.soql, item.pos,
                                f"Field must be grouped or aggregated: {text_of(item)}")
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
                    if isinstance(sobject, NameObject):  # its url names the record's own type
                        shapes[key].type_index = index_of(Column(alias, sobject.fields["Type"]))
                    shape.items.append((rels[depth - 1], shapes[key]))
                shape = shapes[key]
            if any(name == column.field.name for name, _ in shape.items):
                raise errors.InvalidField(f"duplicate field selected: {shown}")
            index = index_of(column)
            shape.items.append((column.field.name, index))
            if column.field.type == "boolean":
                shape.booleans.add(index)
            elif column.field.type == "address":
                shape.addresses.add(index)
        return root, columns

    def typeof(self, node: TypeOf, tables: Tables,
               index_of: Callable[[Column], int]) -> tuple[str, Choice]:
        """TYPEOF on a polymorphic lookup: one LEFT JOIN and one record shape per type."""
        name = ".".join(node.path.parts)
        ref = self.root.relationship(name)
        if ref is None:
            raise bad_relationship(self.soql, node.path.pos, name)
        if len(ref.reference_to) < 2:
            raise malformed(self.soql, node.path.pos, (
                f"TYPEOF can only be used with a polymorphic relationship field; {name} always "
                f"references {ref.reference_to[0]}: select {name}.field instead"))
        targets = {t.lower(): t for t in ref.reference_to}
        choices = [(targets.get(when.lower()), fields) for when, fields in node.whens]
        for (target, _), (when, _) in zip(choices, node.whens, strict=True):
            if target is None:
                raise malformed(self.soql, node.pos,
                                f"{when} is not a type that {name} can reference")
        named = {target for target, _ in choices}
        choices += [(t, node.otherwise) for t in ref.reference_to if t not in named]
        options = []
        for target, fields in choices:
            if target not in self.org.types:
                continue  # a type this org does not have: no record can point to it
            sobject = self.org.sobject(target)
            alias = tables.join(("TYPEOF", ref.relationship_name, target), "t0", ref, sobject)
            shape = Shape(sobject, index_of(Column(alias, sobject.fields["Id"])))
            for path in fields:
                f = sobject.field(path.parts[-1]) if len(path.parts) == 1 else None
                if f is None or not self.org.field_security.readable(sobject, f):
                    raise no_such_column(self.soql, path.pos, text_of(path), sobject.name)
                index = index_of(Column(alias, f))
                shape.items.append((f.name, index))
                if f.type == "boolean":
                    shape.booleans.add(index)
            options.append(shape)
        return ref.relationship_name, Choice(options)

    def select_items(self) -> list[tuple[object, str]]:
        """The SELECT list with FIELDS(...) expanded: (item, its text for error messages)."""
        out: list[tuple[object, str]] = []
        security = self.org.field_security
        for item in self.query.select:
            if not isinstance(item, Fields):
                shown = text_of(item) if isinstance(item, (Path, Call)) else ""
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

    def order_by(self, tables: Tables) -> list[str]:
        keys = []
        for key in self.query.order_by:
            column = self.expression(key.path, tables)[1]
            if isinstance(key.path, Call):
                raise malformed(self.soql, key.path.pos,
                                f"Ordered field must be grouped or aggregated: {text_of(key.path)}")
            direction = "DESC" if key.descending else "ASC"
            nulls = "LAST" if key.nulls_last else "FIRST"
            keys.append(f"{column.sql}{column.collate} {direction} NULLS {nulls}")
        return keys

    # -- WHERE -----------------------------------------------------------------

    def where(self, tables: Tables, params: list, include_deleted: bool = True) -> str:
        sql = ""
        joins = semi_joins(self.query.where)
        if len(joins) > MAX_SEMI_JOINS:
            raise malformed(self.soql, joins[MAX_SEMI_JOINS].path.pos, (
                f"No more than {MAX_SEMI_JOINS} semi join or anti join sub-selects are allowed "
                "in a WHERE clause"))
        if self.query.where is not None:
            sql = self.filters(self.query.where, tables, params)
        if not include_deleted:
            # Unary + keeps SQLite off the IsDeleted index: nearly every row matches it, and
            # without statistics the planner walked it (all 100,000 rows) for `Id IN (...)`.
            live = '+t0."IsDeleted" = 0'
            sql = f"{live} AND {sql}" if sql else live
        return sql

    def filters(self, node: Condition, tables: Tables, params: list) -> str:
        """The WHERE clause's SQL. In a query of records (not a subquery, a count or an
        aggregate), the first `Id IN (...)` of DRIVING_IDS Ids or more that every row must
        match (the whole filter or one of its top-level ANDs) is left out: its Ids drive the
        statement instead (`source`)."""
        items = node.items if isinstance(node, Junction) and node.op == "AND" else (node,)
        if not (self.top and not self.query.is_aggregate and not self.query.is_count
                and any(_lists_ids(item) for item in items)):
            return self.condition(node, tables, params)
        parts = []
        for item in items:  # in order, so the first error is the one `condition` raises
            if self.id_list is None and _lists_ids(item):
                column = self.expression(item.path, tables)[1]
                if column.alias == "t0" and column.field.type == "id":
                    operands = self.operands(column, item)  # an Id's: its text, or None
                    if None not in operands:  # (`null` and '' match a row stored without one)
                        # Each Id once (IN matches a row once), in order: the index is then
                        # read from its first page to its last, as SQLite reads an IN list
                        # (random lists: 6% quicker than in the order given).
                        self.id_list = sorted(set(operands))
                        continue
            parts.append(self.condition(item, tables, params))
        if node is items[0] or len(parts) == 1:
            return "".join(parts)
        return "(" + " AND ".join(parts) + ")"

    def condition(self, node: Condition, tables: Tables, params: list,
                  having: bool = False) -> str:
        if isinstance(node, Junction):
            if node.op == "OR" and semi_joins(node):
                # Semi-join and anti-join restrictions, SOQL reference: no OR around them.
                raise malformed(self.soql, semi_joins(node)[0].path.pos,
                                "Semi join sub-selects are not allowed with the 'OR' operator")
            parts = [self.condition(item, tables, params, having) for item in node.items]
            return "(" + f" {node.op} ".join(parts) + ")"
        if isinstance(node, Negation):
            if semi_joins(node.item):
                raise malformed(self.soql, semi_joins(node.item)[0].path.pos,
                                "Semi join sub-selects can not be negated with NOT: use NOT IN")
            return f"(NOT {self.condition(node.item, tables, params, having)})"
        return self.comparison(node, tables, params, having)

    def _first_pos(self, node: Condition) -> int:
        while not isinstance(node, Comparison):
            node = node.items[0] if isinstance(node, Junction) else node.item
        return node.path.pos

    def includes(self, node: Comparison, column: Column, params: list) -> str:
        """INCLUDES / EXCLUDES on a multi-select picklist: `'a;b'` needs both values, and
        the listed terms are alternatives (the SOQL reference, "Querying Multi-Select
        Picklists")."""
        if column.field.type != "multipicklist":
            raise errors.InvalidQueryFilterOperator(caret(
                self.soql, node.value[0].pos,
                "includes or excludes operator only valid on multipicklist field"))
        c = column.sql
        stored = f"(';' || REPLACE({c}, '; ', ';') || ';')"
        alternatives = []
        for value in node.value:
            parts = [p.strip() for p in value.value.split(";") if p.strip()]
            for part in parts:
                escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                params.append(f"%;{escaped};%")
            alternatives.append(" AND ".join(f"{stored} LIKE ? ESCAPE '\\'" for _ in parts)
                                or "0")
        test = f"({c} IS NOT NULL AND ({' OR '.join(f'({a})' for a in alternatives)}))"
        return test if node.op == "INCLUDES" else f"(NOT {test})"

    def comparison(self, node: Comparison, tables: Tables, params: list,
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
        if node.op in ("INCLUDES", "EXCLUDES"):
            return self.includes(node, column, params)
        if node.op in ("IN", "NOT IN"):
            operands = self.operands(column, node)
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

    def operands(self, column: Column, node: Comparison) -> tuple:
        """An IN list's operands (see `operand`). An Id field's depend on the literals alone,
        so they are kept on the node (immutable, and kept by parse's cache while the same
        text comes back): normalising 300 Ids was most of compiling a lookup of them
        (benchmarks/README.md, Session 5)."""
        if column.field.type not in ID_TYPES:
            return tuple(self.operand(column, v) for v in node.value)
        kept = node.__dict__.get("_id_operands")
        if kept is None:
            kept = node.__dict__["_id_operands"] = tuple(
                self.operand(column, v) for v in node.value)
        return kept

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
    """The plan of a parsed query against `org`; INVALID_TYPE / INVALID_FIELD as Salesforce says.
    A long query compiled lately is answered from the org's plan cache while its schema and
    local date hold (plan_cache.py); errors are never kept."""
    if len(query.text) < CACHED_FROM:
        return _Compiler(query, org, now, top=True).plan(include_deleted)
    plans = PlanCache.for_org(org)
    token = (org.schema_changes, literals.local_today(now))  # read before compiling
    plan = plans.get(query, include_deleted, token)
    if plan is None:
        plan = _Compiler(query, org, now, top=True).plan(include_deleted)
        plans.put(query, include_deleted, token, plan)
    return plan
