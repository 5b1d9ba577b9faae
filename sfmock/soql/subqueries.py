"""SOQL subqueries: parent-to-child subqueries in SELECT, semi- and anti-joins in WHERE.

A mixin of the compiler: each subquery is compiled by a compiler of its own.
"""

from __future__ import annotations

from .. import errors
from . import children
from .parser import Comparison, Path, SubQuery
from .plan import ID_TYPES, ChildPlan, Column, Tables, semi_joins, text_of
from .problems import caret, malformed

MAX_SEMI_JOINS = 2  # "No more than two IN or NOT IN statements per WHERE clause"


class Subqueries:
    """Child subqueries and semi-/anti-joins for the SOQL compiler."""

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
        compiler = type(self)(inner, self.org, self.now, root=found.child)
        tables = Tables(found.child)
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
        return ChildPlan(found.name, found.child, sql, params, shape, len(columns), inner.limit,
                         inner.offset or 0)

    def semi_join(self, node: Comparison, column: Column, params: list) -> str:
        """`Id IN (SELECT AccountId FROM Contact ...)`: a semi-join, or with NOT IN an anti-join.

        The SOQL reference's restrictions (Semi-Joins with IN and Anti-Joins with NOT IN): the
        left operand is one Id or reference field; the subquery selects one Id or reference
        field of the same object type, on another object, without traversing a relationship;
        COUNT, ORDER BY and LIMIT are not supported in it, nor a nested semi-join; no more than
        two per WHERE clause, and neither OR nor NOT around them (see `condition`).
        """
        inner = node.value.query
        compiler = type(self)(inner, self.org, self.now)
        if column.field.type not in ID_TYPES or column.expression:
            raise malformed(self.soql, node.path.pos, (
                f"semi join sub selects are only allowed on id or reference fields, cannot use: "
                f"'{text_of(node.path)}'"))
        item = inner.select[0]
        if len(inner.select) != 1 or not isinstance(item, Path):
            raise malformed(self.soql, node.value.pos,
                            "semi join sub selects can only query one id or reference field")
        tables = Tables(compiler.root)
        rels, selected = compiler.resolve(item, tables)
        if selected.field.type not in ID_TYPES or rels:
            # A real org's words (recorded): "semi join sub selects can only query id fields,
            # cannot use: 'ACCT_OWNER_ID__c'".
            raise malformed(self.soql, item.pos, (
                f"semi join sub selects can only query id fields, cannot use: "
                f"'{text_of(item)}'"))
        if compiler.root is self.root:
            raise malformed(self.soql, inner.sobject_pos,
                            "The inner and outer selects should not be on the same object type")
        left = {self.root.name} if column.field.type == "id" else set(column.field.reference_to)
        right = ({compiler.root.name} if selected.field.type == "id"
                 else set(selected.field.reference_to))
        if not left & right:
            raise malformed(self.soql, item.pos, (
                f"semi join sub select field {text_of(item)} does not reference the same object "
                f"type as {text_of(node.path)}"))
        if semi_joins(inner.where):
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
