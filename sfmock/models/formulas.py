"""Read-only formula fields: a small subset of Salesforce's formula language, evaluated on the
record's own fields whenever the record is written.

Supported: field names, number and string literals, `+ - * /`, `&` (text concatenation),
comparisons (`=`, `==`, `<>`, `!=`, `<`, `>`, `<=`, `>=`), `&&`, `||`, and the functions IF,
AND, OR, NOT, ISBLANK, BLANKVALUE, TEXT, VALUE, UPPER, LOWER, LEN, ROUND, ABS, MAX, MIN.
A formula that reads a blank number yields blank, as "Treat blank fields as blanks" does.
"""

from __future__ import annotations

import ast
import re

from .schema import Field, SObjectType

FUNCTIONS = {
    "IF": lambda c, a, b: a if c else b,
    "AND": lambda *xs: all(xs), "OR": lambda *xs: any(xs), "NOT": lambda x: not x,
    "ISBLANK": lambda x: x in (None, ""), "BLANKVALUE": lambda x, d: d if x in (None, "") else x,
    "TEXT": lambda x: "" if x is None else _text(x), "VALUE": lambda x: float(x),
    "UPPER": lambda x: (x or "").upper(), "LOWER": lambda x: (x or "").lower(),
    "LEN": lambda x: len(x or ""), "ROUND": lambda x, n: round(x, int(n)), "ABS": abs,
    "MAX": max, "MIN": min,
}
OPERATORS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.BitAnd: lambda a, b: _text(a) + _text(b),
}
COMPARISONS = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.Gt: lambda a, b: a > b, ast.LtE: lambda a, b: a <= b, ast.GtE: lambda a, b: a >= b,
}


class FormulaError(ValueError):
    """A formula sfmock cannot read; the message names the part."""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _python(formula: str) -> str:
    """The formula as a Python expression (`=` -> `==`, `<>` -> `!=`, `&&`/`||` -> and/or)."""
    out = re.sub(r"&&", " and ", formula)
    out = re.sub(r"\|\|", " or ", out)
    out = out.replace("<>", "!=")
    return re.sub(r"(?<![=!<>])=(?!=)", "==", out)


def parse(formula: str) -> ast.expr:
    try:
        return ast.parse(_python(formula.strip()), mode="eval").body
    except SyntaxError:
        raise FormulaError(f"cannot read the formula {formula!r}: use fields, literals, "
                           "+ - * / &, comparisons and IF/AND/OR/NOT/ISBLANK/TEXT...") from None


def evaluate(formula: str, sobject: SObjectType, row: dict) -> object:
    """The formula's value for `row` (stored column values)."""

    def walk(node: ast.expr) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            f = sobject.field(node.id)
            if f is None:
                if node.id.upper() in ("TRUE", "FALSE"):
                    return node.id.upper() == "TRUE"
                if node.id.upper() == "NULL":
                    return None
                raise FormulaError(f"Field {node.id} does not exist on {sobject.name}")
            value = row.get(f.name)
            return bool(value) if f.type == "boolean" and value is not None else value
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            left, right = walk(node.left), walk(node.right)
            if not isinstance(node.op, ast.BitAnd) and (left is None or right is None):
                return None
            return OPERATORS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = walk(node.operand)
            return None if value is None else -value
        if isinstance(node, ast.BoolOp):
            results = [walk(v) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in COMPARISONS:
            return COMPARISONS[type(node.ops[0])](walk(node.left), walk(node.comparators[0]))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id.upper() in FUNCTIONS:
            return FUNCTIONS[node.func.id.upper()](*(walk(a) for a in node.args))
        raise FormulaError(f"sfmock cannot evaluate {ast.unparse(node)!r} in {formula!r}")

    return walk(parse(formula))


def stored(f: Field, value: object) -> object:
    """A formula's value as its column stores it (checkbox 0/1, numbers as floats)."""
    if value is None:
        return None
    if f.type == "boolean":
        return int(bool(value))
    if f.type in ("double", "currency", "percent", "int"):
        return float(value)
    return _text(value)
