"""Parameterized Search (API 36.0+): the GET query string or POST body, as the SOSL it stands for.

`q=Acme&sobject=Account&Account.fields=Id,Name&Account.limit=10&in=NAME&overallLimit=50` is
`FIND {Acme} IN NAME FIELDS RETURNING Account(Id, Name LIMIT 10) LIMIT 50`; a POST body says the
same with `{"q", "fields", "sobjects": [{"name", "fields", "where", "limit"}], "in",
"overallLimit", "defaultLimit"}`. `fields` and `defaultLimit` apply to every sobject that does
not name its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import errors
from .parser import GROUPS, MAX_LIMIT

COMMON = ("q", "fields", "in", "overallLimit", "defaultLimit", "spellCorrection")


def from_query_string(args: Mapping[str, list[str]]) -> str:
    """The SOSL of a GET query string (`args` maps each name to all its values)."""
    sobjects = [name.strip() for value in args.get("sobject", []) for name in value.split(",")
                if name.strip()]
    targets = [{
        "name": name,
        "fields": _split(_one(args, f"{name}.fields")),
        "where": _one(args, f"{name}.where"),
        "limit": _one(args, f"{name}.limit"),
    } for name in sobjects]
    _refuse_unknown([k for k in args if "." not in k], (*COMMON, "sobject"))
    return _sosl(_one(args, "q"), _split(_one(args, "fields")), targets, _one(args, "in"),
                 _one(args, "overallLimit"), _one(args, "defaultLimit"))


def from_body(body: object) -> str:
    """The SOSL of a POST body."""
    if not isinstance(body, dict):
        raise errors.JsonParserError(
            'Send a JSON object: {"q": "Acme", "sobjects": [{"name": "Contact"}]}')
    _refuse_unknown(list(body), (*COMMON, "sobjects"))
    sobjects = body.get("sobjects") or []
    if not isinstance(sobjects, list) or not all(
            isinstance(s, dict) and isinstance(s.get("name"), str) for s in sobjects):
        raise errors.JsonParserError('sobjects is a list of objects with a "name": '
                                     'send [{"name": "Contact", "fields": ["Id", "Email"]}]')
    if any(not isinstance(s.get("where", ""), str) for s in sobjects):
        raise errors.JsonParserError('where is a SOQL condition in a string: send '
                                     '"where": "HasOptedOutOfEmail = false"')
    targets = [{"name": s["name"], "fields": _strings(s.get("fields"), "fields"),
                "where": s.get("where"), "limit": s.get("limit")} for s in sobjects]
    return _sosl(body.get("q"), _strings(body.get("fields"), "fields"), targets, body.get("in"),
                 body.get("overallLimit"), body.get("defaultLimit"))


def _sosl(q: object, fields: list[str], targets: list[dict], group: object,
          overall: object, default: object) -> str:
    if not isinstance(q, str) or not q.strip():
        raise errors.MalformedSearch("Parameterized search needs q, the text to search for: "
                                     "send q=Acme")
    braced = q.replace("{", "\\{").replace("}", "\\}")  # braces in q are text, not delimiters
    text = f"FIND {{{braced}}}"
    if group is not None:
        if not isinstance(group, str) or group.upper() not in GROUPS:
            raise errors.MalformedSearch(f"in must be one of {', '.join(GROUPS)}, not {group}")
        text += f" IN {group.upper()} FIELDS"
    default_limit = _limit(default, "defaultLimit")
    clauses = []
    for target in targets:
        own_fields = target["fields"] or fields
        limit = _limit(target["limit"], f"{target['name']}.limit")
        limit = default_limit if limit is None else limit
        inner = ", ".join(own_fields)
        if target["where"]:
            inner = f"{inner or 'Id'} WHERE {target['where']}"
        if limit is not None:
            inner = f"{inner or 'Id'} LIMIT {limit}"
        clauses.append(f"{target['name']}({inner})" if inner else target["name"])
    if clauses:
        text += " RETURNING " + ", ".join(clauses)
    overall_limit = _limit(overall, "overallLimit")
    if overall_limit is not None:
        text += f" LIMIT {overall_limit}"
    return text


def _limit(value: object, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0 or number > MAX_LIMIT or isinstance(value, bool | float):
        raise errors.MalformedSearch(f"{name} must be a whole number from 0 to {MAX_LIMIT}, "
                                     f"not {value}")
    return number


def _one(args: Mapping[str, list[str]], name: str) -> str | None:
    values = args.get(name) or []
    return values[-1] if values else None


def _split(value: str | None) -> list[str]:
    return [f.strip() for f in (value or "").split(",") if f.strip()]


def _strings(value: object, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.JsonParserError(f'{name} is a list of field names: send ["Id", "Name"]')
    return value


def _refuse_unknown(names: list[str], supported: tuple[str, ...]) -> None:
    """Name the parameters sfmock does not serve (metadata, snippet, dataCategory, ...)."""
    unknown = sorted(n for n in names if n not in supported)
    if unknown:
        raise errors.MalformedSearch(
            f"sfmock does not support the parameterized search parameter(s) {', '.join(unknown)}; "
            f"it serves {', '.join(supported)} and <sobject>.fields/.where/.limit")
