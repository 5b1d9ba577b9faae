"""SOQL aggregate queries: GROUP BY (ROLLUP, CUBE), HAVING and the aggregate functions.

A mixin of the compiler: the methods use its `expression`, `condition`, `source` and errors.
"""

from __future__ import annotations

from ..models.schema import Field
from .parser import DATE_FUNCTIONS, Aliased, Call, Expr, Fields, Path, SubQuery, TypeOf
from .plan import NUMBER_TYPES, Column, Plan, Tables, text_of
from .problems import malformed

# Aggregate results come in one batch: "Aggregate query does not support queryMore(), use
# LIMIT to restrict the results to a single batch" (SOQL reference, GROUP BY considerations).
MAX_AGGREGATE_ROWS = 2000


class Grouping:
    """GROUP BY, HAVING and aggregate functions for the SOQL compiler."""

    def aggregate(self, node: Call, tables: Tables) -> Column:
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

    def group_sql(self, tables: Tables) -> str:
        keys = [f"{column.sql}{column.collate}" for column in self.group_columns(tables)]
        return f" GROUP BY {', '.join(keys)}" if keys else ""

    def group_columns(self, tables: Tables) -> list[Column]:
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

    def grouping(self, node: Call, tables: Tables) -> Column:
        """GROUPING(field): 1 on a ROLLUP/CUBE subtotal row of that field, else 0."""
        column = self.expression(node.arg, tables)[1]
        if column.sql not in self.grouped:
            raise malformed(self.soql, node.pos,
                            f"Field must be grouped or aggregated: {text_of(node.arg)}")
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

    def aggregate_plan(self, tables: Tables, where: str, params: list) -> Plan:
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
            if isinstance(item, (Fields, SubQuery, TypeOf)):
                shown = {Fields: "FIELDS()", SubQuery: "subquery", TypeOf: "TYPEOF"}[type(item)]
                raise malformed(self.soql, item.pos,
                                f"Field must be grouped or aggregated: {shown}")
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

    def grouped_or_aggregate(self, node: Expr, tables: Tables, what: str) -> Column:
        """The column of an aggregate, or of an expression the query groups by."""
        column = self.expression(node, tables)[1]
        if isinstance(node, Call) and (node.is_aggregate or node.name == "GROUPING"):
            return column
        if column.sql not in self.grouped:
            raise malformed(self.soql, node.pos,
                            f"{what} must be grouped or aggregated: {text_of(node)}")
        return column
