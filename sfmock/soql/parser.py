"""SOQL syntax: a recursive-descent parser producing a small immutable AST.

Grammar (the subset sfmock serves):

    query     := SELECT items FROM name [alias] [WHERE condition] [WITH mode]
                 [GROUP BY [ROLLUP|CUBE] (expr {, expr})] [HAVING condition]
                 [ORDER BY key {, key}] [LIMIT int] [OFFSET int] [FOR (VIEW | REFERENCE)]
    items     := COUNT() | item {, item}
    item      := expr [alias] | FIELDS(ALL|STANDARD|CUSTOM) | ( query )   (a child subquery)
                 | TYPEOF path (WHEN type THEN path {, path})... [ELSE path {, path}] END
    expr      := path | function ( expr ) | COUNT( [path] )
    condition := unary {AND unary} | unary {OR unary}     (mixing needs parentheses)
    unary     := NOT unary | ( condition ) | expr op value
                 | expr [NOT] IN ( value {, value} ) | path [NOT] IN ( query ) | expr LIKE string
    key       := expr [ASC | DESC] [NULLS FIRST | NULLS LAST]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .. import errors
from . import literals
from .lexer import DATE, DATETIME, EOF, IDENT, NUMBER, OP, STRING, Token, tokenize
from .problems import malformed, unexpected

RESERVED = frozenset("""
    AND ASC BY CUBE DESC ELSE END EXCLUDES FALSE FIRST FOR FROM GROUP HAVING IN INCLUDES LAST
    LIKE LIMIT NOT NULL NULLS OFFSET OR ORDER ROLLUP SELECT THEN TRUE TYPEOF USING WHEN WHERE
    WITH
""".split())
COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
MAX_OFFSET = 2000
MAX_INTEGER = 2**31 - 1  # LIMIT and OFFSET are 32-bit
# "SOQL statements can not be longer than 100000 characters" (MALFORMED_QUERY), as a real org
# answered django-salesforce (django-salesforce/django-salesforce#164).
MAX_LENGTH = 100_000
CACHED_PARSES = 64  # texts whose ASTs are kept (see `parse`)
CACHED_LENGTH = 20_000  # longest text kept: about 800 Ids in an IN list
AGGREGATES = frozenset({"COUNT", "COUNT_DISTINCT", "SUM", "AVG", "MIN", "MAX"})
DATE_FUNCTIONS = frozenset("""
    CALENDAR_MONTH CALENDAR_QUARTER CALENDAR_YEAR DAY_IN_MONTH DAY_IN_WEEK DAY_IN_YEAR DAY_ONLY
    FISCAL_MONTH FISCAL_QUARTER FISCAL_YEAR HOUR_IN_DAY WEEK_IN_MONTH WEEK_IN_YEAR
""".split())
FUNCTIONS = AGGREGATES | DATE_FUNCTIONS | {"TOLABEL", "FORMAT", "CONVERTTIMEZONE", "GROUPING"}
SECURITY_MODES = ("SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE")


@dataclass(frozen=True)
class Path:
    """A field reference as written: `Email`, `Account.Name`, `ConvertedContact.Account.Name`."""

    parts: tuple[str, ...]
    pos: int


@dataclass(frozen=True)
class Call:
    """A function applied to a field: an aggregate (COUNT(Id)), a date function, toLabel, FORMAT.

    `arg` is None only for COUNT(); `name` is upper case; `alias` as written in SELECT.
    """

    name: str
    arg: Path | Call | None
    pos: int
    alias: str | None = None

    @property
    def is_aggregate(self) -> bool:
        return self.name in AGGREGATES

    @property
    def field_path(self) -> Path | None:
        """The field path inside the (possibly nested) call."""
        arg = self.arg
        while isinstance(arg, Call):
            arg = arg.arg
        return arg


@dataclass(frozen=True)
class Aliased:
    """A plain field with an alias, allowed in aggregate queries (`SELECT LeadSource src ...`)."""

    path: Path
    alias: str


@dataclass(frozen=True)
class Fields:
    """FIELDS(ALL | STANDARD | CUSTOM) in the field list."""

    group: str
    pos: int


@dataclass(frozen=True)
class TypeOf:
    """TYPEOF field WHEN type THEN fields ... [ELSE fields] END: fields by the referenced type."""

    path: Path
    whens: tuple[tuple[str, tuple[Path, ...]], ...]
    otherwise: tuple[Path, ...]
    pos: int


@dataclass(frozen=True)
class SubQuery:
    """A nested SELECT: a parent-to-child subquery in SELECT, a semi-/anti-join in WHERE."""

    query: Query
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
    path: Path | Call
    op: str  # one of COMPARISONS, LIKE, IN, NOT IN, INCLUDES, EXCLUDES
    value: Value | tuple[Value, ...] | SubQuery


@dataclass(frozen=True)
class Junction:
    op: str  # AND | OR
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    item: Condition


Condition = Comparison | Junction | Negation
Expr = Path | Call
SelectItem = Path | Call | Aliased | Fields | SubQuery | TypeOf


@dataclass(frozen=True)
class OrderKey:
    path: Expr
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    text: str
    select: tuple[SelectItem, ...]
    sobject: str
    sobject_pos: int
    alias: str | None
    where: Condition | None
    order_by: tuple[OrderKey, ...]
    limit: int | None
    offset: int | None
    group_by: tuple[Expr, ...] = ()
    group_mode: str | None = None  # ROLLUP or CUBE
    having: Condition | None = None
    security: str | None = None  # WITH SECURITY_ENFORCED | USER_MODE | SYSTEM_MODE
    for_clause: str | None = None  # FOR VIEW | FOR REFERENCE

    @property
    def is_count(self) -> bool:
        """True for `SELECT COUNT() ...`: only the number of rows is answered."""
        return len(self.select) == 1 and isinstance(self.select[0], Call) and (
            self.select[0].name == "COUNT" and self.select[0].arg is None)

    @property
    def is_aggregate(self) -> bool:
        """True when the query answers AggregateResult rows (GROUP BY or an aggregate function)."""
        if self.is_count:
            return False
        return bool(self.group_by) or any(
            isinstance(i, Call) and i.is_aggregate for i in self.select)


def parse(soql: str) -> Query:
    """The AST of `soql`, or MALFORMED_QUERY worded as Salesforce does.

    The AST is immutable (frozen dataclasses of tuples), so a text parsed lately is answered
    from a small cache: a client repeating a query (a poll, a lookup of the same 300 Ids) paid
    0.6 ms a parse for a 300-Id IN list (benchmarks/README.md, Session 5). Long texts are
    parsed every time, so the cache holds at most CACHED_PARSES ASTs of CACHED_LENGTH
    characters."""
    if len(soql) <= CACHED_LENGTH:
        return _parse_cached(soql)
    return _parse(soql)


@lru_cache(maxsize=CACHED_PARSES)
def _parse_cached(soql: str) -> Query:
    return _parse(soql)


def _parse(soql: str) -> Query:
    if len(soql) > MAX_LENGTH:
        raise errors.MalformedQuery(
            f"SOQL statements can not be longer than {MAX_LENGTH} characters")
    parser = _Parser(soql)
    query = parser.query()
    if parser.token.kind != EOF:
        raise parser.fail()
    return query


class _Parser:
    def __init__(self, soql: str):
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0
        self.depth = 0  # 0: the outer query; 1: a subquery

    # -- token helpers -------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    @property
    def following(self) -> Token:
        return self.tokens[min(self.index + 1, len(self.tokens) - 1)]

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

    def alias(self) -> str | None:
        token = self.token
        if token.kind == IDENT and token.text.upper() not in RESERVED and "." not in token.text:
            return self.advance().text
        return None

    def at_call(self) -> bool:
        return (self.token.kind == IDENT and self.token.text.upper() in FUNCTIONS
                and self.following.kind == OP and self.following.text == "(")

    def at_subquery(self) -> bool:
        return (self.token.kind == OP and self.token.text == "("
                and self.following.is_word("SELECT"))

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
        security = None
        if self.word("WITH"):
            mode = self.advance()
            if not mode.is_word(*SECURITY_MODES):
                raise self.fail(mode)
            security = mode.text.upper()
        group_by: list[Expr] = []
        group_mode = None
        if self.word("GROUP"):
            self.expect_word("BY")
            mode = self.word("ROLLUP", "CUBE")
            if mode:
                group_mode = mode.text.upper()
                self.expect_op("(")
            group_by.append(self.expr())
            while self.op(","):
                group_by.append(self.expr())
            if mode:
                self.expect_op(")")
        having = self.condition() if self.word("HAVING") else None
        order_by, limit, offset = self.ordering("SOQL")
        for_clause = None
        if self.depth == 0 and self.word("FOR"):
            # FOR UPDATE locks rows for Apex only, not through the API (jsforce/jsforce#158).
            kind = self.advance()
            if not kind.is_word("VIEW", "REFERENCE"):
                raise self.fail(kind)
            for_clause = kind.text.upper()
        return Query(self.soql, tuple(select), name.text, name.pos, alias, where,
                     tuple(order_by), limit, offset, tuple(group_by), group_mode, having,
                     security, for_clause)

    def ordering(self, language: str) -> tuple[list[OrderKey], int | None, int | None]:
        """The optional `ORDER BY keys`, `LIMIT n` and `OFFSET n` closing a query (SOQL, or a
        SOSL RETURNING target, whose offset error names `language`)."""
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
                raise errors.NumberOutsideValidRange(
                    f"Maximum {language} offset allowed is {MAX_OFFSET}")
        return order_by, limit, offset

    def select_list(self) -> list[SelectItem]:
        items = [self.select_item()]
        while self.op(","):
            items.append(self.select_item())
        counts = [i for i in items if isinstance(i, Call) and i.name == "COUNT" and i.arg is None]
        if counts and len(items) > 1:
            raise malformed(self.soql, counts[0].pos, "COUNT() must be the only item selected")
        return items

    def select_item(self) -> SelectItem:
        token = self.token
        if self.at_subquery():
            if self.depth > 0:
                raise self.fail()  # sfmock serves one level of child subqueries
            return self.subquery()
        if token.is_word("TYPEOF"):
            return self.typeof()
        if token.is_word("FIELDS") and self.following.kind == OP and self.following.text == "(":
            self.advance()
            self.advance()
            group = self.advance()
            if not group.is_word("ALL", "STANDARD", "CUSTOM"):
                raise self.fail(group)
            self.expect_op(")")
            return Fields(group.text.upper(), token.pos)
        if self.at_call():
            call = self.call()
            alias = self.alias()
            return Call(call.name, call.arg, call.pos, alias) if alias else call
        path = self.path()
        alias = self.alias()
        return Aliased(path, alias) if alias else path

    def typeof(self) -> TypeOf:
        start = self.expect_word("TYPEOF")
        path = self.path()
        whens = []
        while self.word("WHEN"):
            name = self.advance()
            if name.kind != IDENT or "." in name.text:
                raise self.fail(name)
            self.expect_word("THEN")
            whens.append((name.text, self.path_list()))
        if not whens:
            raise self.fail()
        otherwise = self.path_list() if self.word("ELSE") else ()
        self.expect_word("END")
        return TypeOf(path, tuple(whens), otherwise, start.pos)

    def path_list(self) -> tuple[Path, ...]:
        paths = [self.path()]
        while self.op(","):
            paths.append(self.path())
        return tuple(paths)

    def subquery(self) -> SubQuery:
        start = self.expect_op("(")
        self.depth += 1
        inner = self.query()
        self.depth -= 1
        self.expect_op(")")
        return SubQuery(inner, start.pos)

    def call(self) -> Call:
        name = self.advance()
        self.expect_op("(")
        upper = name.text.upper()
        arg: Path | Call | None
        if upper == "COUNT" and self.op(")"):
            return Call(upper, None, name.pos)
        arg = self.call() if self.at_call() else self.path()
        self.expect_op(")")
        return Call(upper, arg, name.pos)

    def expr(self) -> Expr:
        return self.call() if self.at_call() else self.path()

    def order_key(self) -> OrderKey:
        path = self.expr()
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
        path = self.expr()
        token = self.token
        if token.kind == OP and token.text in COMPARISONS:
            self.advance()
            return Comparison(path, token.text, self.value())
        if self.word("LIKE"):
            value = self.value()
            if value.kind != "string":
                raise malformed(self.soql, value.pos, "LIKE needs a quoted string pattern")
            return Comparison(path, "LIKE", value)
        for word in ("INCLUDES", "EXCLUDES"):  # multi-select picklists: ('a;b', 'c')
            if self.word(word):
                self.expect_op("(")
                values = self.values()
                self.expect_op(")")
                for value in values:
                    if value.kind != "string":
                        raise malformed(self.soql, value.pos,
                                        f"{word} needs quoted strings, e.g. ('A;B', 'C')")
                return Comparison(path, word, tuple(values))
        negated = bool(self.word("NOT"))
        if self.word("IN"):
            op = "NOT IN" if negated else "IN"
            if self.at_subquery():
                return Comparison(path, op, self.subquery())
            self.expect_op("(")
            values = self.values()
            self.expect_op(")")
            return Comparison(path, op, tuple(values))
        raise self.fail()

    def values(self) -> list[Value]:
        """`value (, value)*`; a run of string literals (an IN list of hundreds of Ids) in
        one loop over the tokens, which `op` and `value` took three calls a literal to read."""
        values = [self.value()]
        tokens, index = self.tokens, self.index
        while tokens[index].text == "," and tokens[index].kind == OP \
                and tokens[index + 1].kind == STRING:  # a comma is never the last token (EOF)
            literal = tokens[index + 1]
            values.append(Value("string", literal.value, literal.pos, literal.like))
            index += 2
        self.index = index
        while self.op(","):
            values.append(self.value())
        return values

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
