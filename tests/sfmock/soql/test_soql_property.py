"""Property: the compiled-SQL evaluator agrees with a plain-Python SOQL evaluator.

Random rows go straight into the Contact table; random WHERE filters (and sort keys) are
rendered as SOQL text (also grouped, and as semi-/anti-join subqueries), run through the
engine, and checked against an independent Python reading of SOQL's rules: two-valued
comparisons (`!=` matches nulls), case-insensitive text, LIKE wildcards, relative date
literals as whole local days in America/Los_Angeles and dateTime literals as whole seconds.

The default run draws 100 filters (50 for grouping, joins and sorting): each draw already
checks every comparison of its filter alone and negated, and the fixed-table test below covers
every field x operator x literal exhaustively. Failing examples are replayed first from
.hypothesis/ on the next run.
"""

from __future__ import annotations

import functools
import random
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sfmock import ids
from sfmock.models.org import Org
from sfmock.models.schema import custom_field
from sfmock.soql.engine import QueryEngine

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # Wednesday, noon in Los Angeles
LA = ZoneInfo("America/Los_Angeles")
TODAY = date(2026, 11, 25)
WORDS = ["alpha", "Alpha", "ALPHA", "beta", "al_ha", "a%b", "", "zeta", "Beta2", "b"]
DAYS = [TODAY + timedelta(days=d) for d in range(-9, 4)]
OPS = ["=", "!=", "<", "<=", ">", ">="]


@functools.cache
def org() -> Org:
    made = Org(clock=lambda: NOW)
    made.add_custom_field("Contact", custom_field("Score__c", "Score", "double"))
    made.add_custom_field("Contact", custom_field("Since__c", "Since", "date"))
    return made


def wire(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), LA).astimezone(UTC)


# Instants around local midnights, where a Los Angeles day and a UTC day disagree.
INSTANTS = [local_midnight(TODAY + timedelta(days=d)) + delta
            for d in range(-8, 3)
            for delta in (timedelta(hours=-5), timedelta(milliseconds=-1), timedelta(0),
                          timedelta(hours=6, milliseconds=250))]


# -- literals: SOQL text plus what they mean ----------------------------------------------------


@dataclass(frozen=True)
class Lit:
    soql: str
    value: object  # str | float | bool | None | datetime | date | (low, high) range


def datetime_text(moment: datetime, style: int) -> str:
    if style == 0:
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + (
            f".{moment.microsecond // 1000:03d}Z" if moment.microsecond else "Z")
    offset = timedelta(hours=(1, -8, 5)[style - 1], minutes=(0, 0, 30)[style - 1])
    local = moment.astimezone(UTC) + offset
    sign = "+" if offset >= timedelta(0) else "-"
    hours, rest = divmod(abs(offset), timedelta(hours=1))
    zone = f"{sign}{hours:02d}:{rest // timedelta(minutes=1):02d}"
    frac = f".{local.microsecond // 1000:03d}" if local.microsecond else ""
    return local.strftime("%Y-%m-%dT%H:%M:%S") + frac + zone


def relative(name: str, n: int) -> Lit:
    if name == "TODAY":
        return Lit(name, (TODAY, TODAY + timedelta(1)))
    if name == "YESTERDAY":
        return Lit(name, (TODAY - timedelta(1), TODAY))
    if name == "THIS_WEEK":  # Sunday to Saturday
        sunday = TODAY - timedelta(days=(TODAY.weekday() + 1) % 7)
        return Lit(name, (sunday, sunday + timedelta(7)))
    return Lit(f"LAST_N_DAYS:{n}", (TODAY - timedelta(n), TODAY + timedelta(1)))


text_lit = st.one_of(st.sampled_from(WORDS).map(lambda w: Lit(f"'{w}'", w)),
                     st.just(Lit("null", None)))
number_lit = st.one_of(st.sampled_from([-1.5, 0, 2, 2.5, 10]).map(lambda n: Lit(str(n), n)),
                       st.just(Lit("null", None)))
bool_lit = st.sampled_from([Lit("true", True), Lit("false", False)])
relative_lit = st.builds(relative, st.sampled_from(["TODAY", "YESTERDAY", "THIS_WEEK", "LAST_N"]),
                         st.integers(0, 5))
# A plain date literal against a dateTime field is refused (tests/sfmock/soql/test_soql_typing.py).
datetime_lit = st.one_of(
    st.builds(lambda m, s: Lit(datetime_text(m, s), m), st.sampled_from(INSTANTS),
              st.integers(0, 3)),
    relative_lit,
)
date_lit = st.one_of(st.sampled_from(DAYS).map(lambda d: Lit(d.isoformat(), d)), relative_lit,
                     st.just(Lit("null", None)))

FIELDS = {  # name -> (kind, literal strategy)
    "FirstName": ("text", text_lit), "Email": ("text", text_lit),
    "HasOptedOutOfEmail": ("bool", bool_lit), "Score__c": ("number", number_lit),
    "LastModifiedDate": ("datetime", datetime_lit), "Since__c": ("date", date_lit),
}


# -- the Python reference evaluator ---------------------------------------------------------------


def _compare(op: str, left: object, right: object) -> bool:
    return {"=": left == right, "!=": left != right, "<": left < right, "<=": left <= right,
            ">": left > right, ">=": left >= right}[op]


def _in_range(op: str, value: object, low: object, high: object) -> bool:
    inside = low <= value < high
    return {"=": inside, "!=": not inside, "<": value < low, "<=": value < high,
            ">": value >= high, ">=": value >= low}[op]


def matches(kind: str, stored: object, op: str, lit: Lit) -> bool:
    """SOQL's verdict on `stored <op> lit` (stored in the storage contract's form)."""
    wanted = lit.value
    if wanted is None:
        return {"=": stored is None, "!=": stored is not None}.get(op, False)
    if stored is None:
        return op == "!="
    if kind == "text":
        return _compare(op, stored.lower(), wanted.lower())
    if kind == "bool":
        return _compare(op, bool(stored), wanted)
    if kind == "number":
        return _compare(op, stored, wanted)
    if kind == "date":
        day = date.fromisoformat(stored)
        if isinstance(wanted, tuple):
            return _in_range(op, day, *wanted)
        return _compare(op, day, wanted)
    moment = datetime.strptime(stored, "%Y-%m-%dT%H:%M:%S.%f%z")
    if isinstance(wanted, tuple):
        return _in_range(op, moment, local_midnight(wanted[0]), local_midnight(wanted[1]))
    # A dateTime literal names a whole second, as real orgs store dateTimes to the second.
    second = wanted.replace(microsecond=0)
    return _in_range(op, moment, second, second + timedelta(seconds=1))


def like(stored: str | None, pattern: str) -> bool:
    """SOQL LIKE: % and _ are wildcards unless escaped with a backslash."""
    if stored is None:
        return False
    regex = "".join(
        re.escape(token[1]) if token.startswith("\\") else
        ".*" if token == "%" else "." if token == "_" else re.escape(token)
        for token in re.findall(r"\\.|.", pattern, re.DOTALL)
    )
    return re.fullmatch(regex, stored, re.IGNORECASE | re.DOTALL) is not None


@dataclass(frozen=True)
class Cmp:
    field: str
    op: str
    lit: Lit

    def soql(self) -> str:
        return f"{self.field} {self.op} {self.lit.soql}"

    def holds(self, row: dict) -> bool:
        return matches(FIELDS[self.field][0], row[self.field], self.op, self.lit)


@dataclass(frozen=True)
class Like:
    field: str
    pattern: str

    def soql(self) -> str:
        return f"{self.field} LIKE '{self.pattern}'"

    def holds(self, row: dict) -> bool:
        return like(row[self.field], self.pattern)


@dataclass(frozen=True)
class In:
    field: str
    negated: bool
    lits: tuple[Lit, ...]

    def soql(self) -> str:
        values = ", ".join(lit.soql for lit in self.lits)
        return f"{self.field} {'NOT IN' if self.negated else 'IN'} ({values})"

    def holds(self, row: dict) -> bool:
        kind = FIELDS[self.field][0]
        found = any(matches(kind, row[self.field], "=", lit) for lit in self.lits)
        return found != self.negated


@dataclass(frozen=True)
class Junction:
    op: str
    items: tuple

    def soql(self) -> str:
        return f" {self.op} ".join(f"({item.soql()})" for item in self.items)

    def holds(self, row: dict) -> bool:
        verdicts = [item.holds(row) for item in self.items]
        return all(verdicts) if self.op == "AND" else any(verdicts)


@dataclass(frozen=True)
class Not:
    item: object

    def soql(self) -> str:
        return f"NOT ({self.item.soql()})"

    def holds(self, row: dict) -> bool:
        return not self.item.holds(row)


@st.composite
def comparison(draw):
    name = draw(st.sampled_from(sorted(FIELDS)))
    kind, literal = FIELDS[name]
    shape = draw(st.sampled_from(["cmp", "in", "like"] if kind == "text" else ["cmp", "in"]))
    if shape == "like":
        return Like(name, draw(st.text(alphabet="aAbBlph%_", max_size=5)))
    if shape == "in":
        return In(name, draw(st.booleans()), tuple(draw(st.lists(literal, min_size=1, max_size=3))))
    ops = ["=", "!="] if kind == "bool" else OPS
    return Cmp(name, draw(st.sampled_from(ops)), draw(literal))


filters = st.recursive(
    comparison(),
    lambda inner: st.one_of(
        st.builds(Junction, st.sampled_from(["AND", "OR"]),
                  st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Not, inner),
    ),
    max_leaves=6,
)

rows_strategy = st.lists(st.fixed_dictionaries({
    "FirstName": st.one_of(st.none(), st.sampled_from(WORDS)),
    "Email": st.one_of(st.none(), st.sampled_from(WORDS)),
    "HasOptedOutOfEmail": st.sampled_from([0, 1]),
    "Score__c": st.one_of(st.none(), st.sampled_from([-1.5, 0.0, 2.0, 2.5, 7.0, 10.0])),
    "LastModifiedDate": st.sampled_from(INSTANTS).map(wire),
    "Since__c": st.one_of(st.none(), st.sampled_from(DAYS).map(date.isoformat)),  # half null
    "IsDeleted": st.sampled_from([0, 0, 0, 1]),
}), min_size=8, max_size=30)


def load(rows: list[dict]) -> list[dict]:
    """Replace the Contact table's rows with `rows` (given Ids); the rows as stored."""
    target = org()
    stored = []
    for i, row in enumerate(rows):
        stored.append({**row, "Id": ids.make_id("003", target.meta["pod"], i + 1),
                       "LastName": f"Row {i}"})
    with target.lock:
        target.db.execute('DELETE FROM "Contact"')
        target.db["Contact"].insert_all(stored)
    return stored


def run(soql: str, include_deleted: bool) -> list[str]:
    result = QueryEngine.for_org(org()).query(soql, include_deleted=include_deleted,
                                             version="59.0")
    return [record["Id"] for record in result["records"]]


def leaves(node: object) -> list:
    if isinstance(node, Junction):
        return [leaf for item in node.items for leaf in leaves(item)]
    if isinstance(node, Not):
        return leaves(node.item)
    return [node]


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy, where=filters, include_deleted=st.booleans())
def test_where_agrees_with_the_python_evaluator(rows, where, include_deleted):
    stored = load(rows)
    # The whole filter, and each comparison in it alone and negated.
    for condition in [where, *(c for leaf in leaves(where) for c in (leaf, Not(leaf)))]:
        soql = f"SELECT Id FROM Contact WHERE {condition.soql()}"
        expected = [r["Id"] for r in stored
                    if condition.holds(r) and (include_deleted or not r["IsDeleted"])]
        assert run(soql, include_deleted) == expected, soql


def every_literal(kind: str) -> list[Lit]:
    """Each literal the strategies can draw for a field kind (datetimes in every style)."""
    nulls = [Lit("null", None)]
    if kind == "text":
        return [Lit(f"'{w}'", w) for w in WORDS] + nulls
    if kind == "bool":
        return [Lit("true", True), Lit("false", False)]
    if kind == "number":
        return [Lit(str(n), n) for n in (-1.5, 0, 2, 2.5, 10)] + nulls
    relatives = [relative(name, n) for name in ("TODAY", "YESTERDAY", "THIS_WEEK", "LAST_N")
                 for n in range(3)]
    days = [Lit(d.isoformat(), d) for d in DAYS]
    if kind == "date":
        return days + relatives + nulls
    moments = [Lit(datetime_text(m, i % 4), m) for i, m in enumerate(INSTANTS)]
    return moments + relatives


def random_rows(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    maybe = lambda values: rng.choice([None, *values])  # noqa: E731
    return [{
        "FirstName": maybe(WORDS), "Email": maybe(WORDS),
        "HasOptedOutOfEmail": rng.choice([0, 1]),
        "Score__c": maybe([-1.5, 0.0, 2.0, 2.5, 7.0, 10.0]),
        "LastModifiedDate": wire(rng.choice(INSTANTS)),
        "Since__c": maybe([d.isoformat() for d in DAYS]), "IsDeleted": 0,
    } for _ in range(count)]


def test_every_single_comparison_agrees_on_a_fixed_table():
    """Exhaustive over field x operator x literal, each also negated, on 120 random rows."""
    stored = load(random_rows(120, seed=20261125))
    for name, (kind, _) in FIELDS.items():
        ops = ["=", "!="] if kind == "bool" else OPS
        lits = every_literal(kind)
        conditions = [Cmp(name, op, lit) for op in ops for lit in lits]
        conditions += [In(name, negated, pair) for negated in (False, True)
                       for pair in zip(lits, lits[1:] + lits[:1], strict=True)]
        if kind == "text":
            conditions += [Like(name, p) for p in ("", "%", "a%", "A_PHA", "%a", "a\\%b", "_")]
        for condition in conditions:
            for variant in (condition, Not(condition)):
                soql = f"SELECT Id FROM Contact WHERE {variant.soql()}"
                expected = [r["Id"] for r in stored if variant.holds(r)]
                assert run(soql, False) == expected, soql


def grouping_key(kind: str, value: object) -> object:
    """How GROUP BY tells groups apart: text case-insensitively, booleans as booleans."""
    if value is None:
        return None
    return value.lower() if kind == "text" else bool(value) if kind == "bool" else value


@settings(max_examples=50, deadline=None)
@given(rows=rows_strategy, where=filters,
       field=st.sampled_from(["FirstName", "Email", "HasOptedOutOfEmail", "Since__c"]))
def test_group_by_counts_agree_with_the_python_evaluator(rows, where, field):
    stored = [r for r in load(rows) if not r["IsDeleted"]]
    kind = FIELDS[field][0]
    matching = [r for r in stored if where.holds(r)]
    expected = Counter(grouping_key(kind, r[field]) for r in matching)
    emails = Counter(grouping_key(kind, r[field]) for r in matching if r["Email"] is not None)
    soql = (f"SELECT {field} g, COUNT(Id) n, COUNT(Email) e FROM Contact "
            f"WHERE {where.soql()} GROUP BY {field}")
    result = QueryEngine.for_org(org()).query(soql, include_deleted=False, version="59.0")
    found = {grouping_key(kind, r["g"]): (r["n"], r["e"]) for r in result["records"]}
    assert found == {key: (n, emails[key]) for key, n in expected.items()}, soql
    assert result["totalSize"] == len(expected)


@functools.cache
def accounts() -> list[str]:
    """Four Accounts in the property org, for semi- and anti-joins."""
    return [org().insert("Account", {"Name": f"Account {i}"}) for i in range(4)]


@settings(max_examples=50, deadline=None)
@given(rows=rows_strategy, where=filters,
       links=st.lists(st.sampled_from([None, 0, 1, 2, 3]), min_size=30, max_size=30))
def test_semi_and_anti_joins_agree_with_the_python_evaluator(rows, where, links):
    parents = accounts()
    linked = [{**row, "AccountId": None if link is None else parents[link]}
              for row, link in zip(rows, links, strict=False)]
    stored = [r for r in load(linked) if not r["IsDeleted"]]
    joined = {r["AccountId"] for r in stored if r["AccountId"] and where.holds(r)}
    inner = f"(SELECT AccountId FROM Contact WHERE {where.soql()})"
    engine = QueryEngine.for_org(org())
    for op, expected in (("IN", joined), ("NOT IN", set(parents) - joined)):
        soql = f"SELECT Id FROM Account WHERE Id {op} {inner}"
        result = engine.query(soql, include_deleted=False, version="59.0")
        assert {r["Id"] for r in result["records"]} == expected, soql


@settings(max_examples=50, deadline=None)
@given(rows=rows_strategy, field=st.sampled_from(["FirstName", "Email", "Score__c"]),
       descending=st.booleans(), nulls=st.sampled_from(["", " NULLS FIRST", " NULLS LAST"]))
def test_order_by_agrees_with_python_sorting(rows, field, descending, nulls):
    stored = [r for r in load(rows) if not r["IsDeleted"]]
    nulls_last = nulls == " NULLS LAST" or (descending and nulls != " NULLS FIRST")
    present = [r for r in stored if r[field] is not None]
    absent = [r for r in stored if r[field] is None]

    def key(row: dict) -> object:
        value = row[field]
        return value.lower() if isinstance(value, str) else value

    present.sort(key=lambda r: r["Id"])
    present.sort(key=key, reverse=descending)
    if descending:  # Python's reverse keeps ties stable; SOQL breaks them by Id ascending
        present.sort(key=lambda r: r["Id"])
        present.sort(key=key, reverse=True)
    expected = [r[field] for r in (present + absent if nulls_last else absent + present)]
    direction = " DESC" if descending else ""
    soql = f"SELECT Id, {field} FROM Contact ORDER BY {field}{direction}{nulls}, Id"
    result = QueryEngine.for_org(org()).query(soql, include_deleted=False, version="59.0")
    assert [r[field] for r in result["records"]] == expected, soql
