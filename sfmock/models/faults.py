"""Fault injection: make chosen API calls fail the way a real org fails, reproducibly.

The rule format and how rules fire: docs/emulator.md, "Fault rules".
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .. import errors, ids

DROPPED = "X-Sfmock-Dropped"  # header of a dropped call: the in-process door raises instead
ERROR_FAULTS = ("500", "503", "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED",
                "INVALID_SESSION_ID")
FAULTS = (*ERROR_FAULTS, "latency", "drop")
RECORD_FAULTS = ("500", "UNABLE_TO_LOCK_ROW", "latency")
ALIASES = {"UNKNOWN_EXCEPTION": "500", "SERVER_UNAVAILABLE": "503", "LATENCY": "latency",
           "DROP": "drop"}
RULE_KEYS = {"fault", "method", "path", "calls", "probability", "seconds", "times", "ms",
             "scope"}
WINDOW = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


class Sessions(Protocol):
    """What faults need of their org: an INVALID_SESSION_ID fault expires the caller's session."""

    def expire_sessions(self, token: str | None = None) -> int: ...


class FaultRuleError(ValueError):
    """A rule that cannot be used; the message names the fix."""


class ConnectionDropped(Exception):  # noqa: N818  (it is an outcome, not a bug)
    """Raised by a `drop` fault: the front door closes the connection without a response."""


@dataclass
class Rule:
    """One parsed rule (`spec` keeps it as given, for logs and replays) and its counters."""

    fault: str
    methods: frozenset[str]
    path: re.Pattern
    windows: tuple[tuple[int, int], ...] | None
    probability: float | None
    seconds: float | None
    times: int | None
    ms: int
    scope: str
    spec: dict
    matched: int = 0
    injected: int = 0
    spell_until: float = 0.0
    grace: bool = False

    def matches(self, method: str, path: str) -> bool:
        return (not self.methods or method.upper() in self.methods) and bool(
            self.path.search(path))


@dataclass(frozen=True)
class Injection:
    """One injected fault: which call (and record), which rule, what happened."""

    seq: int
    call: int
    method: str
    path: str
    fault: str
    rule: int
    record: str | None = None


@dataclass
class Faults:
    """The fault rules of one org, their seeded random source and the log of injections."""

    org: Sessions
    seed: int | None = None
    rules: list[Rule] = field(default_factory=list)
    log: list[Injection] = field(default_factory=list)
    calls: int = 0

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        self._lock = threading.Lock()

    def add(self, fault: str | int | None = None, **spec) -> Rule:
        """Add one rule, e.g. `add("503", path="/query", probability=0.2)`; see docs/emulator.md."""
        if fault is not None:
            spec["fault"] = fault
        rule = parse_rule(spec, len(self.rules))
        with self._lock:
            self.rules.append(rule)
        return rule

    def extend(self, specs: list[dict]) -> None:
        """Add a list of rules (as JSON objects)."""
        parsed = [parse_rule(spec, len(self.rules) + i) for i, spec in enumerate(specs)]
        with self._lock:
            self.rules.extend(parsed)

    def clear(self) -> None:
        """Remove every rule; the log of past injections stays."""
        with self._lock:
            self.rules.clear()

    def replace(self, specs: list[dict], seed: int | None = None) -> None:
        """Start afresh with these rules and seed: no log, calls counted from 1 again."""
        parsed = [parse_rule(spec, i) for i, spec in enumerate(specs)]
        with self._lock:
            self.seed, self.random = seed, random.Random(seed)
            self.rules, self.log, self.calls = parsed, [], 0

    # -- the hooks ------------------------------------------------------------------

    def before_call(self, method: str, path: str, session=None) -> None:
        """Apply the call rules to one API call: sleep, raise a SalesforceError, or drop it."""
        with self._lock:
            self.calls += 1
            fired = self._fire([r for r in self.rules if r.scope == "call"], method, path,
                               None)
        for rule in fired:
            if rule.fault == "latency":
                time.sleep(rule.ms / 1000)
            elif rule.fault == "drop":
                raise ConnectionDropped(f"{method} {path}")
            else:
                if rule.fault == "INVALID_SESSION_ID" and session is not None:
                    self.org.expire_sessions(session.token)
                raise _error(rule.fault, _record_in(path))

    def on_record(self, method: str, path: str, record_id: str | None = None) -> None:
        """Apply the record rules to one record written by the call `method path`."""
        if not self.rules:
            return  # the common case, asked once per record of a Bulk upload
        with self._lock:
            fired = self._fire([r for r in self.rules if r.scope == "record"], method, path,
                               record_id)
        for rule in fired:
            if rule.fault == "latency":
                time.sleep(rule.ms / 1000)
            else:
                raise _error(rule.fault, record_id)

    def _fire(self, rules: list[Rule], method: str, path: str,
              record_id: str | None) -> list[Rule]:
        """The rules that fire (latency ones, then at most one other), logged."""
        fired: list[Rule] = []
        decided = False
        now = time.monotonic()
        for rule in rules:
            if not rule.matches(method, path):
                continue
            rule.matched += 1  # every match counts, even once another rule decided the call
            if decided or not self._fires(rule, now):
                continue
            rule.injected += 1
            self.log.append(Injection(len(self.log) + 1, self.calls, method.upper(), path,
                                      rule.fault, self.rules.index(rule), record_id))
            fired.append(rule)
            if rule.fault != "latency":
                decided = True
                rule.grace = rule.fault == "INVALID_SESSION_ID"
        return fired

    def _fires(self, rule: Rule, now: float) -> bool:
        if rule.times is not None and rule.injected >= rule.times:
            return False
        if rule.grace:
            rule.grace = False
            return False
        if now < rule.spell_until:
            return True
        if rule.windows is not None and not any(
                low <= rule.matched <= high for low, high in rule.windows):
            return False
        if rule.probability is not None and self.random.random() >= rule.probability:
            return False
        if rule.seconds:
            rule.spell_until = now + rule.seconds
        return True


def install_faults(org, rules: list[dict] | None = None, seed: int | None = None) -> Faults:
    """Give `org`'s faults these rules and seed, replacing any earlier ones and their log."""
    faults = org.faults
    faults.replace(list(rules or []), seed)
    return faults


def load_rules(source: str) -> list[dict]:
    """Rules from a JSON text (an array, or one object) or from the path of a .json file."""
    text = source.strip()
    if not text.startswith(("[", "{")):
        path = Path(source).expanduser()
        if not path.is_file():
            raise FaultRuleError(
                f"--faults {source!r}: no such file; pass a JSON array of rules or the path "
                "of a .json file holding one")
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FaultRuleError(f"fault rules are not valid JSON ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno}): write a JSON array of rule objects") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise FaultRuleError("fault rules must be a JSON array of rule objects")
    for i, spec in enumerate(data):
        parse_rule(spec, i)  # refuse a bad rule before anything starts
    return data


def parse_rule(spec: dict, index: int = 0) -> Rule:
    """A `Rule` from its JSON form, or FaultRuleError naming what to change."""
    where = f"fault rule {index + 1}"
    if not isinstance(spec, dict):
        raise FaultRuleError(f"{where}: a rule is a JSON object such as "
                             '{"fault": "503", "probability": 0.1}')
    unknown = sorted(set(spec) - RULE_KEYS)
    if unknown:
        raise FaultRuleError(f"{where}: unknown key {unknown[0]!r}; use only "
                             + ", ".join(sorted(RULE_KEYS)))
    fault = str(spec.get("fault", "")).strip()
    fault = ALIASES.get(fault.upper(), fault.upper() if fault.upper() in FAULTS else fault)
    if fault not in FAULTS:
        raise FaultRuleError(f"{where}: fault {spec.get('fault')!r} is not one of "
                             + ", ".join(FAULTS))
    scope = spec.get("scope", "call")
    if scope not in ("call", "record"):
        raise FaultRuleError(f"{where}: scope must be 'call' or 'record', not {scope!r}")
    if scope == "record" and fault not in RECORD_FAULTS:
        raise FaultRuleError(f"{where}: a record rule injects one of "
                             + ", ".join(RECORD_FAULTS) + f", not {fault}")
    ms = spec.get("ms", 0)
    if fault == "latency" and (not _number(ms) or ms <= 0):
        raise FaultRuleError(f"{where}: a latency rule needs \"ms\": a delay in milliseconds")
    methods = spec.get("method") or []
    methods = [methods] if isinstance(methods, str) else methods
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise FaultRuleError(f"{where}: method is an HTTP method or a list of them")
    try:
        path = re.compile(str(spec.get("path", "")))
    except re.error as exc:
        raise FaultRuleError(f"{where}: path is not a valid regular expression ({exc})") from None
    probability = spec.get("probability")
    if probability is not None and (not _number(probability) or not 0 <= probability <= 1):
        raise FaultRuleError(f"{where}: probability is a number from 0 to 1")
    for key in ("seconds", "times"):
        value = spec.get(key)
        if value is not None and (not _number(value) or value <= 0):
            raise FaultRuleError(f"{where}: {key} is a positive number")
    times = spec.get("times")
    return Rule(fault, frozenset(m.upper() for m in methods if m != "*"), path,
                _windows(spec.get("calls"), where), probability, spec.get("seconds"),
                int(times) if times is not None else None, int(ms), scope, dict(spec))


def drop_connection(environ: dict) -> None:
    """Close the client's connection with no response (server mode; in-process mode raises
    ConnectionError when it sees the DROPPED header instead)."""
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone


def _windows(calls: object, where: str) -> tuple[tuple[int, int], ...] | None:
    if calls is None:
        return None
    items = calls if isinstance(calls, list) else [calls]
    windows = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool) and item > 0:
            windows.append((item, item))
            continue
        match = WINDOW.match(item) if isinstance(item, str) else None
        if match is None or not 0 < int(match.group(1)) <= int(match.group(2)):
            raise FaultRuleError(f"{where}: calls takes call numbers and windows counted from "
                                 f'1, e.g. [3, 7] or "10-20", not {item!r}')
        windows.append((int(match.group(1)), int(match.group(2))))
    return tuple(windows)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _record_in(path: str) -> str | None:
    """The record ID a REST path names (`.../sobjects/Contact/003...`), if any."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return ids.normalise(last) if any(c.isdigit() for c in last) else None


def _error(fault: str, record_id: str | None) -> errors.SalesforceError:
    if fault == "500":
        return errors.UnknownException(
            "An unexpected error occurred. Please include this ErrorId if you contact "
            "support: sfmock-fault-injection")
    if fault == "503":
        return errors.ServerUnavailable("Server temporarily unavailable: try again later")
    if fault == "UNABLE_TO_LOCK_ROW":
        suffix = f" or 1 records: {record_id}" if record_id else ""
        return errors.UnableToLockRow(
            f"unable to obtain exclusive access to this record{suffix}", [])
    if fault == "REQUEST_LIMIT_EXCEEDED":
        return errors.RequestLimitExceeded("TotalRequests Limit exceeded.")
    return errors.InvalidSessionId("Session expired or invalid")
