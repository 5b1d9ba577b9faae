"""SOSL statements: FIND {...} [IN group FIELDS] [RETURNING ...] [WITH ...] [LIMIT n].

Grammar (the subset sfmock serves):

    search    := FIND {terms} [IN (ALL|NAME|EMAIL|PHONE|SIDEBAR) FIELDS]
                 [RETURNING target {, target}] [WITH SPELL_CORRECTION = (TRUE|FALSE)] [LIMIT int]
    target    := name [( path {, path} [WHERE condition] [ORDER BY key {, key}]
                        [LIMIT int] [OFFSET int] )]

Everything after the braces is read with the SOQL lexer and parser (field paths, WHERE
conditions, ORDER BY keys and their error wording are SOQL's); the braces' content is the
search-term language of `terms.py`. Syntax errors answer MALFORMED_SEARCH.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import errors
from ..soql.lexer import EOF, IDENT, tokenize
from ..soql.parser import RESERVED, Condition, OrderKey, Path
from ..soql.parser import _Parser as _SoqlParser
from ..soql.problems import caret
from .terms import Expression, parse_terms

GROUPS = ("ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR")
MAX_LIMIT = 2000
NO_TERM = "No search term found. The search term must be enclosed in braces."
_FIND = re.compile(r"\s*FIND\b\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """One object of the RETURNING clause."""

    sobject: str
    pos: int
    fields: tuple[Path, ...]  # empty: Id only
    where: Condition | None = None
    order_by: tuple[OrderKey, ...] = ()
    limit: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class Search:
    text: str
    terms: Expression
    search_text: str  # between the braces, as written
    group: str  # ALL, NAME, EMAIL, PHONE or SIDEBAR
    targets: tuple[Target, ...]  # empty: every searchable object, Id only
    limit: int  # overall


def parse(sosl: str) -> Search:
    """The AST of `sosl`, or MALFORMED_SEARCH / INVALID_SEARCH worded as Salesforce does."""
    find = _FIND.match(sosl)
    if find is None:
        shown = sosl.split(None, 1)[0] if sosl.strip() else "<EOF>"
        raise errors.MalformedSearch(f"unexpected token: {shown}")
    opening = find.end()
    # Braces are the API's only delimiter; `FIND 'term'` is Apex's inline form, not SOSL text.
    if sosl[opening:opening + 1] != "{":
        raise errors.MalformedSearch(NO_TERM)
    closing = _closing_brace(sosl, opening + 1)
    if closing is None:
        raise errors.MalformedSearch(NO_TERM)
    search_text = sosl[opening + 1:closing]
    terms = parse_terms(search_text)
    masked = sosl[:opening] + " " * (closing + 1 - opening) + sosl[closing + 1:]
    try:
        return _Parser(sosl, masked).search(terms, search_text)
    except errors.MalformedQuery as exc:  # SOQL's wording, SOSL's code
        raise errors.MalformedSearch(exc.message) from None


def _closing_brace(sosl: str, pos: int) -> int | None:
    while pos < len(sosl):
        if sosl[pos] == "\\":
            pos += 2
            continue
        if sosl[pos] == "}":
            return pos
        pos += 1
    return None


class _Parser(_SoqlParser):
    """SOQL's parser over the clauses that follow the braces (which are blanked out)."""

    def __init__(self, sosl: str, masked: str):
        self.soql = sosl
        self.tokens = tokenize(masked)
        self.index = 1  # past FIND

    def search(self, terms: Expression, search_text: str) -> Search:
        group = "ALL"
        if self.word("IN"):
            token = self.advance()
            if token.kind != IDENT or token.text.upper() not in GROUPS:
                raise self.bad_token(token)
            group = token.text.upper()
            if not self.token.is_word("FIELDS"):
                raise self.bad_token(self.token)
            self.advance()
        targets: list[Target] = []
        if self.word("RETURNING"):
            targets.append(self.target())
            while self.op(","):
                targets.append(self.target())
        while self.word("WITH"):
            self.with_clause()
        limit = MAX_LIMIT
        if self.word("LIMIT"):
            limit = min(self.integer(), MAX_LIMIT)
        if self.token.kind != EOF:
            raise self.fail()
        return Search(self.soql, terms, search_text, group, tuple(targets), limit)

    def bad_token(self, token) -> errors.SalesforceError:
        # Recorded from a real org (jesperfj/force-rest-api#92): `FIND {name} IN ALL TYPE ...`
        # answers "ERROR at Row:1:Column:19 / Malformed search token: TYPE", the column being
        # the token's 0-based offset.
        shown = token.text if token.kind != EOF else "<EOF>"
        return errors.MalformedSearch(
            caret(self.soql, max(token.pos - 1, 0), f"Malformed search token: {shown}"))

    def target(self) -> Target:
        name = self.token
        if name.kind != IDENT or "." in name.text or name.text.upper() in RESERVED:
            raise self.fail()
        self.advance()
        if not self.op("("):
            return Target(name.text, name.pos, ())
        fields = [self.path()]
        while self.op(","):
            fields.append(self.path())
        where = self.condition() if self.word("WHERE") else None
        order_by, limit, offset = self.ordering("SOSL")
        self.expect_op(")")
        return Target(name.text, name.pos, tuple(fields), where, tuple(order_by), limit, offset)

    def with_clause(self) -> None:
        """WITH SPELL_CORRECTION = true|false; sfmock always matches exactly, so both are true to it."""
        token = self.token
        if token.is_word("SPELL_CORRECTION"):
            self.advance()
            self.expect_op("=")
            if not self.word("TRUE", "FALSE"):
                raise self.fail()
            return
        shown = token.text if token.kind != EOF else "<EOF>"
        raise errors.MalformedSearch(caret(self.soql, token.pos, (
            f"sfmock does not support WITH {shown} in SOSL; WITH SPELL_CORRECTION is the one "
            f"WITH clause it serves (remove the clause)")))
