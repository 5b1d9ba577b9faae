"""The search query inside `FIND {...}`: words, "phrases", * and ? wildcards, AND / OR / AND NOT.

Matching follows Salesforce's search index closely enough for tests to rely on it:
- Field text is split into tokens at spaces and punctuation and compared case-insensitively,
  so `smith` finds `Emily Smith` and `emily.smith@acmerobotics.com` alike.
- A word that holds punctuation (`emily.smith@acme.com`, `555-0100`) is a phrase of its tokens;
  a phrase matches when its tokens follow one another inside one field.
- `*` matches zero or more characters and `?` exactly one, inside a token.
- Words side by side must all match (an implicit AND), each in any searched field of the record.
- AND and AND NOT bind tighter than OR; parentheses group.
- Phone fields also match on their digits alone: `5550100` finds `+1 555 0100`.
- A backslash makes the next character literal: `\\*`, `\\"`, `\\(`, `\\}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import errors

_TOKEN = re.compile(r"[^\W_]+")
_PATTERN_TOKEN = re.compile(r"(?:[^\W_]|[*?])+")  # a token that may hold wildcards
OPERATORS = ("AND", "OR", "NOT")
MIN_PHONE_DIGITS = 7  # a local number without its country code still finds the phone
# SOSL reference, "SOSL Syntax": past 4,000 characters the operators are dropped and the words
# ORed; past 10,000 characters nothing is returned.
LOOSE_LENGTH, MAX_LENGTH = 4_000, 10_000


@dataclass(frozen=True)
class Term:
    """A word or a "phrase": the token patterns that must follow one another in a field."""

    patterns: tuple[re.Pattern, ...]
    digits: str  # the term's digits when it holds no letters (phone matching), else ""


@dataclass(frozen=True)
class Every:
    """Words side by side, AND, AND NOT: each part must match, or must not where negated."""

    parts: tuple[Expression, ...]
    negated: tuple[bool, ...]


@dataclass(frozen=True)
class AnyOf:
    """Parts joined by OR."""

    parts: tuple[Expression, ...]


Expression = Term | Every | AnyOf


def tokens(text: str) -> list[str]:
    """The lower-case search tokens of a field value."""
    return _TOKEN.findall(text.lower())


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def parse_terms(search: str) -> Expression:
    """The expression of the text between the braces; INVALID_SEARCH when it is too short."""
    return _TermParser(search).parse()


def matches(expression: Expression, fields: list[tuple[list[str], str]]) -> bool:
    """True if a record whose searched fields are `(tokens, phone digits)` pairs matches."""
    if isinstance(expression, AnyOf):
        return any(matches(part, fields) for part in expression.parts)
    if isinstance(expression, Every):
        return all(matches(part, fields) != negated
                   for part, negated in zip(expression.parts, expression.negated, strict=True))
    return any(_term_in(expression, words, phone) for words, phone in fields)


def _term_in(term: Term, words: list[str], phone: str) -> bool:
    if term.digits and phone and (phone == term.digits or (
            len(term.digits) >= MIN_PHONE_DIGITS and phone.endswith(term.digits))):
        return True
    size = len(term.patterns)
    if size == 0:
        return False
    for start in range(len(words) - size + 1):
        if all(p.fullmatch(words[start + i]) for i, p in enumerate(term.patterns)):
            return True
    return False


def _term(text: str) -> Term:
    lowered = text.lower()
    patterns = tuple(
        re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in piece))
        for piece in _PATTERN_TOKEN.findall(lowered) if piece.strip("*?")
    )
    has_letters = any(ch.isalpha() for ch in text)
    return Term(patterns, "" if has_letters else digits(text))


class _TermParser:
    """Recursive descent over the search query: `or := and {OR and}`, `and := unit {[AND [NOT]] unit}`."""

    def __init__(self, search: str):
        self.search = search
        self.loose = len(search) > LOOSE_LENGTH
        self.items = [i for i in self._lex(search) if not (self.loose and i[0] == "OP")]
        self.index = 0

    @staticmethod
    def _lex(search: str) -> list[tuple[str, str]]:
        """(kind, text) pairs: WORD, PHRASE, OP (AND/OR/NOT), ( and )."""
        items: list[tuple[str, str]] = []
        pos = 0
        while pos < len(search):
            char = search[pos]
            if char.isspace():
                pos += 1
            elif char in "()":
                items.append((char, char))
                pos += 1
            elif char == '"':
                end, text = _read(search, pos + 1, stop='"')
                items.append(("PHRASE", text))
                pos = end + 1
            else:
                end, text = _read(search, pos, stop=' \t\r\n"()')
                kind = "OP" if text.upper() in OPERATORS and "\\" not in search[pos:end] else "WORD"
                items.append((kind, text.upper() if kind == "OP" else text))
                pos = end
        return items

    def parse(self) -> Expression:
        longest = max((len("".join(_TOKEN.findall(text)))
                       for kind, text in self.items if kind in ("WORD", "PHRASE")), default=0)
        if longest < 2:
            # Recorded (a UI API lookup fixture): INVALID_SEARCH, "INVALID_SEARCH: search term
            # must be longer than one character: g"; REST messages carry no code prefix.
            raise errors.InvalidSearch(
                f"search term must be longer than one character: {self.search}")
        expression = self.either()
        if self.index < len(self.items):
            raise self.malformed()
        return expression

    def malformed(self) -> errors.SalesforceError:
        shown = self.items[self.index][1] if self.index < len(self.items) else "<EOF>"
        return errors.MalformedSearch(
            f"Malformed search term near '{shown}' in {{{self.search}}}: write words, \"phrases\" "
            f"and AND / OR / AND NOT between them, and escape reserved characters with \\")

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def either(self) -> Expression:
        parts = [self.both()]
        while self.peek() == ("OP", "OR"):
            self.index += 1
            parts.append(self.both())
        return _combine(parts, [False] * len(parts), or_=True)

    def both(self) -> Expression:
        parts, negated = [self.unit()], [False]
        while True:
            item = self.peek()
            if item is None or item[0] == ")" or item == ("OP", "OR"):
                return _combine(parts, negated, or_=self.loose)
            negate = False
            if item == ("OP", "AND"):
                self.index += 1
                if self.peek() == ("OP", "NOT"):
                    self.index += 1
                    negate = True
            parts.append(self.unit())
            negated.append(negate)

    def unit(self) -> Expression:
        item = self.peek()
        if item is None or item[0] in ("OP", ")"):
            raise self.malformed()
        self.index += 1
        if item[0] == "(":
            inner = self.either()
            if self.peek() != (")", ")"):
                raise self.malformed()
            self.index += 1
            return inner
        return _term(item[1])


def _combine(parts: list[Expression], negated: list[bool], *, or_: bool) -> Expression:
    """Join parts, dropping terms of punctuation only (the index keeps no such token)."""
    kept = [(p, n) for p, n in zip(parts, negated, strict=True) if not _empty(p)]
    if not kept:
        return parts[0]
    if len(kept) == 1 and not kept[0][1]:
        return kept[0][0]
    if or_:
        return AnyOf(tuple(p for p, _ in kept))
    return Every(tuple(p for p, _ in kept), tuple(n for _, n in kept))


def _empty(expression: Expression) -> bool:
    return isinstance(expression, Term) and not expression.patterns and not expression.digits


def _read(search: str, pos: int, stop: str) -> tuple[int, str]:
    """Text from `pos` up to an unescaped character of `stop`; backslashes make the next literal."""
    out: list[str] = []
    while pos < len(search) and search[pos] not in stop:
        if search[pos] == "\\" and pos + 1 < len(search):
            pos += 1
            # An escaped wildcard is literal text, which the index splits away like punctuation.
            out.append(" " if search[pos] in "*?" else search[pos])
        else:
            out.append(search[pos])
        pos += 1
    return pos, "".join(out)
