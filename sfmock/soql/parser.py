"""SOQL syntax: a recursive-descent parser producing a small immutable AST.

Grammar (the subset sfmock serves):

    query     := SELECT items FROM name [alias] [WHERE condition]
                 [ORDER BY key {, key}] [LIMIT int] [OFFSET int]
    items     := COUNT() | item {, item}
    item      := path | COUNT(path) [alias]
    condition := unary {AND unary} | unary {OR unary}     (mixing needs parentheses)
    unary     := NOT unary | ( condition ) | path op value
                 | path [NOT] IN ( value {, value} ) | path LIKE string
    key       := path [ASC | DESC] [NULLS FIRST | NULLS LAST]
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors
from . import literals
from .lexer import DATE, DATETIME, EOF, IDENT, NUMBER, OP, STRING, Token, tokenize
from .problems import malformed, unexpected

RESERVED = frozenset("""
    AND ASC BY DESC EXCLUDES FALSE FIRST FOR FROM GROUP HAVING IN INCLUDES LAST LIKE LIMIT NOT
    NULL NULLS OFFSET OR ORDER SELECT TRUE TYPEOF USING WHERE WITH
""".split())
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
MAX_OFFSET = 2000
MAX_INTEGER = 2**31 - 1  # LIMIT and OFFSET are 32-bit


@dataclass(frozen=True)
class Path:
    """A field reference as written: `Email`, `Account.Name`, `ConvertedContact.Account.Name`."""

    parts: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class Value:
    """A literal: kind is string, number, boolean, null, date, datetime or relative."""

    kind: str
    value: object
    pos: int
    like: str | None = None  # strings: the LIKE pattern
    n: int = 0  # relative literals written NAME:n


@dataclass(frozen=True)
class Comparison:
    path: Path
    op: str  # one of COMPARISONS, LIKE, IN, NOT IN
    value: Value | tuple[Value, ...]


@dataclass(frozen=True)
class Junction:
    op: str  # AND | OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    item: Condition


Condition = Comparison | Junction | Negation


@dataclass(frozen=True)
class Count:
    """COUNT() (path None) or COUNT(path) with an optional alias."""

    path: Path | None
    alias: str | None
    pos: int


@dataclass(frozen=True)
class OrderKey:
    path: Path
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    text: str
    select: tuple[Path | Count, ...]
    sobject: str
    sobject_pos: int
    alias: str | None
    where: Condition | None
    order_by: tuple[OrderKey, ...]
    limit: int | None
    offset: int | None

    @property
    def is_count(self) -> bool:
        """True for `SELECT COUNT() ...`: only the number of rows is answered."""
        return len(self.select) == 1 and isinstance(self.select[0], Count) and (
            self.select[0].path is None)


def parse(soql: str) -> Query:
    """The AST of `soql`, or MALFORMED_QUERY worded as Salesforce does."""
    return _Parser(soql).query()


class _Parser:
    def __init__(self, soql: str):
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0

    # -- token helpers -------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.token
        if token.kind != EOF:
            self.index += 1
        return token

    def fail(self, token: Token | None = None) -> errors.SalesforceError:
        token = token or self.token
        return unexpected(self.soql, token.pos, None if token.kind == EOF else token.text)

    def word(self, *words: str) -> Token | None:
        if self.token.is_word(*words):
            return self.advance()
        return None

    def expect_word(self, word: str) -> Token:
        token = self.word(word)
        if token is None:
            raise self.fail()
        return token

    def op(self, text: str) -> Token | None:
        if self.token.kind == OP and self.token.text == text:
            return self.advance()
        return None

    def expect_op(self, text: str) -> Token:
        token = self.op(text)
        if token is None:
            raise self.fail()
        return token

    def integer(self) -> int:
        token = self.advance()
        if token.kind != NUMBER or not isinstance(token.value, int) or token.value < 0:
            raise self.fail(token)
        if token.value > MAX_INTEGER:
            raise malformed(self.soql, token.pos, f"numeric value out of range: {token.text}")
        return token.value

    def path(self) -> Path:
        token = self.token
        if token.kind != IDENT or token.text.upper() in RESERVED:
            raise self.fail()
        self.advance()
        return Path(tuple(token.text.split(".")), token.pos)

    # -- clauses -------------------------------------------------------------

    def query(self) -> Query:
        if not self.token.is_word("SELECT"):
            # Salesforce answers a bad first word without the caret block.
            shown = self.token.text if self.token.kind != EOF else "<EOF>"
            raise errors.MalformedQuery(f"unexpected token: {shown}")
        self.advance()
        select = self.select_list()
        self.expect_word("FROM")
        name = self.token
        if name.kind != IDENT or "." in name.text or name.text.upper() in RESERVED:
            raise self.fail()
        self.advance()
        alias = None
        if self.token.kind == IDENT and self.token.text.upper() not in RESERVED:
            if "." in self.token.text:
                raise self.fail()
            alias = self.advance().text
        where = self.condition() if self.word("WHERE") else None
        order_by: list[OrderKey] = []
        if self.word("ORDER"):
            self.expect_word("BY")
            order_by.append(self.order_key())
            while self.op(","):
                order_by.append(self.order_key())
        limit = self.integer() if self.word("LIMIT") else None
        offset = None
        if self.word("OFFSET"):
            offset = self.integer()
            if offset > MAX_OFFSET:
                raise errors.NumberOutsideValidRange(f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        if self.token.kind != EOF:
            raise self.fail()
        return Query(self.soql, tuple(select), name.text, name.pos, alias, where,
                     tuple(order_by), limit, offset)

    def select_list(self) -> list[Path | Count]:
        items = [self.select_item()]
        while self.op(","):
            items.append(self.select_item())
        counts = [i for i in items if isinstance(i, Count) and i.path is None]
        if counts and len(items) > 1:
            raise malformed(self.soql, counts[0].pos, "COUNT() must be the only item selected")
        return items

    def select_item(self) -> Path | Count:
        token = self.token
        following = self.tokens[min(self.index + 1, len(self.tokens) - 1)]
        if token.is_word("COUNT") and following.kind == OP and following.text == "(":
            self.advance()
            self.advance()
            path = None if self.op(")") else self.path()
            if path is not None:
                self.expect_op(")")
            alias = None
            if path is not None and self.token.kind == IDENT and (
                    self.token.text.upper() not in RESERVED) and "." not in self.token.text:
                alias = self.advance().text
            return Count(path, alias, token.pos)
        return self.path()

    def order_key(self) -> OrderKey:
        path = self.path()
        descending = bool(self.word("DESC"))
        if not descending:
            self.word("ASC")
        nulls_last = descending  # Salesforce: ASC puts nulls first, DESC puts them last
        if self.word("NULLS"):
            if self.word("LAST"):
                nulls_last = True
            else:
                self.expect_word("FIRST")
                nulls_last = False
        return OrderKey(path, descending, nulls_last)

    # -- conditions ------------------------------------------------------------

    def condition(self) -> Condition:
        first = self.unary()
        joiner = self.token
        if not joiner.is_word("AND", "OR"):
            return first
        op = joiner.text.upper()
        items = [first]
        while self.token.is_word("AND", "OR"):
            if self.token.text.upper() != op:
                raise self.fail()  # AND and OR side by side need parentheses
            self.advance()
            items.append(self.unary())
        return Junction(op, tuple(items))

    def unary(self) -> Condition:
        if self.word("NOT"):
            return Negation(self.unary())
        if self.op("("):
            inner = self.condition()
            self.expect_op(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        path = self.path()
        token = self.token
        if token.kind == OP and token.text in COMPARISONS:
            self.advance()
            return Comparison(path, token.text, self.value())
        if self.word("LIKE"):
            value = self.value()
            if value.kind != "string":
                raise malformed(self.soql, value.pos, "LIKE needs a quoted string pattern")
            return Comparison(path, "LIKE", value)
        negated = bool(self.word("NOT"))
        if self.word("IN"):
            self.expect_op("(")
            values = [self.value()]
            while self.op(","):
                values.append(self.value())
            self.expect_op(")")
            return Comparison(path, "NOT IN" if negated else "IN", tuple(values))
        raise self.fail()

    def value(self) -> Value:
        token = self.advance()
        kinds = {STRING: "string", NUMBER: "number", DATE: "date", DATETIME: "datetime"}
        if token.kind in kinds:
            return Value(kinds[token.kind], token.value, token.pos, token.like)
        if token.kind != IDENT:
            raise self.fail(token)
        word = token.text.upper()
        if word in ("TRUE", "FALSE"):
            return Value("boolean", word == "TRUE", token.pos)
        if word == "NULL":
            return Value("null", None, token.pos)
        if not literals.is_relative(word):
            raise self.fail(token)
        if not literals.takes_number(word):
            return Value("relative", word, token.pos)
        self.expect_op(":")
        return Value("relative", word, token.pos, n=self.integer())
