"""SOQL tokens: field paths and keywords, string/number/date literals and operators."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import NamedTuple

from .. import errors
from ..models.values import parse_datetime
from .problems import malformed, row_column

IDENT, STRING, NUMBER, DATE, DATETIME, OP, EOF = (
    "IDENT", "STRING", "NUMBER", "DATE", "DATETIME", "OP", "EOF")

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<partial>\d{4}-\d{2}-\d{2}T[\d:.+-]*Z?)
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:.])
  | (?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))(?![\w.])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)(?![\w.])
  | (?P<op><>|!=|<=|>=|[=<>(),:])
  | (?P<plain>'[^'\\]*')
  | (?P<quote>')
""", re.VERBOSE)

_PLAIN = re.compile(r"[^'\\]+")  # a run of a string literal's characters without escapes
# A list of two or more literals without escapes, as an IN list holds hundreds of Ids, and
# its items: read in one pass instead of a match per literal, comma and space.
_PLAIN_LIST = re.compile(r"'[^'\\]*'(?:\s*,\s*'[^'\\]*')+")
_LIST_ITEM = re.compile(r"'([^'\\]*)'|,")

# Backslash escapes of SOQL string literals; `\%` and `\_` stay literal in LIKE patterns.
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\"}


class Token(NamedTuple):  # made ~3x faster than a frozen dataclass; a long IN has thousands
    kind: str
    text: str
    pos: int
    value: object = None
    like: str | None = None  # STRING only: the SQLite LIKE pattern, escape character `\`

    def is_word(self, *words: str) -> bool:
        return self.kind == IDENT and self.text.upper() in words


def tokenize(soql: str) -> list[Token]:
    """The tokens of `soql`, ending with EOF; MALFORMED_QUERY for characters SOQL has no use for."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(soql):
        match = _TOKEN.match(soql, pos)
        if match is None:
            raise _no_viable(soql, pos)
        kind = match.lastgroup
        text = match.group()
        if kind == "space":
            pos = match.end()
            continue
        if kind == "plain":  # a string literal without escapes: its text is its value
            run = _PLAIN_LIST.match(soql, pos)
            if run is None:
                tokens.append(Token(STRING, text, pos, text[1:-1], text[1:-1]))
                pos = match.end()
                continue
            make = tuple.__new__  # Token(...) through its Python-level __new__ costs 2x
            for item in _LIST_ITEM.finditer(soql, pos, run.end()):
                text, value = item.group(0, 1)
                tokens.append(make(Token, (OP, ",", item.start(), None, None) if value is None
                                   else (STRING, text, item.start(), value, value)))
            pos = run.end()
            continue
        if kind == "quote":
            token = _string(soql, pos)
            tokens.append(token)
            pos += len(token.text)
            continue
        if kind == "partial":
            raise malformed(soql, pos, (
                f"invalid date/time: {text} (write it as 2026-11-28T20:00:00Z or with an offset "
                f"such as +01:00)"
            ))
        if kind == "datetime":
            tokens.append(Token(DATETIME, text, pos, _datetime(soql, pos, text)))
        elif kind == "date":
            tokens.append(Token(DATE, text, pos, _date(soql, pos, text)))
        elif kind == "number":
            value = float(text) if "." in text else int(text)
            if isinstance(value, int) and abs(value) >= 2**63:  # beyond SQLite's integers
                value = float(value)
            tokens.append(Token(NUMBER, text, pos, value))
        elif kind == "ident":
            tokens.append(Token(IDENT, text, pos))
        elif kind == "op":
            tokens.append(Token(OP, "!=" if text == "<>" else text, pos))
        pos = match.end()
    tokens.append(Token(EOF, "", len(soql)))
    return tokens


def _no_viable(soql: str, pos: int) -> errors.SalesforceError:
    row, column = row_column(soql, pos)
    return errors.MalformedQuery(
        f"line {row}:{column - 1} no viable alternative at character '{soql[pos]}'"
    )


def _datetime(soql: str, pos: int, text: str) -> datetime:
    moment = parse_datetime(text)
    if moment is None:
        raise malformed(soql, pos, f"invalid date/time: {text}")
    return moment


def _date(soql: str, pos: int, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise malformed(soql, pos, f"invalid date: {text}") from None


def _string(soql: str, start: int) -> Token:
    """A quoted literal from `start`: its decoded value and its LIKE pattern."""
    value: list[str] = []
    like: list[str] = []
    pos = start + 1
    while pos < len(soql):
        run = _PLAIN.match(soql, pos)
        if run is not None:  # most literals are one plain run: take it whole
            value.append(run.group())
            like.append(run.group())
            pos = run.end()
            continue
        char = soql[pos]
        if char == "'":
            text = soql[start:pos + 1]
            return Token(STRING, text, start, "".join(value), "".join(like))
        code = soql[pos + 1:pos + 2]
        key = code.lower()
        if code in ("%", "_"):
            value.append(code)
            like.append("\\" + code)
            pos += 2
            continue
        if key == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", soql[pos + 2:pos + 6]):
            decoded = chr(int(soql[pos + 2:pos + 6], 16))
            width = 6
        elif key in _ESCAPES:
            decoded = _ESCAPES[key]
            width = 2
        else:
            sequence = soql[pos:pos + 2]
            raise malformed(soql, start, (
                f"Invalid string literal '{soql[start + 1:pos + 2]}'. Illegal character sequence "
                f"'{sequence}' in string literal."
            ))
        value.append(decoded)
        like.append("\\\\" if decoded == "\\" else decoded)
        pos += width
    row, column = row_column(soql, len(soql))
    raise errors.MalformedQuery(
        f"line {row}:{column - 1} mismatched character '<EOF>' expecting '''"
    )
