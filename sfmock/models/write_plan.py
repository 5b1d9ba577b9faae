"""What a write works out from the fields once, not once a record: for a record's keys (in the
order given), each key's field and value converter and the error the first refused key raises;
per type, the fields a write fills in itself. Cached on the type (`SObjectType.cache`), so a
200-record Collections call or a 2,000-row Bulk chunk looks its columns up once
(benchmarks/README.md, "Writes").

`Columns.prepare` is `Org._prepare` (models/org.py) step for step: keys in order, each value
converted as `values.coerce` does (a converter takes the common case itself and hands the rest
to `coerce`), and the first unknown, hidden or read-only key raises after the keys before it
were converted, exactly where the loop over the record's keys raised it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from .. import errors
from . import values
from .schema import Field, SObjectType

Convert = Callable[[object], object]
T = TypeVar("T")
MAX_SHAPES = 512  # cached key tuples a type: a client sending ever new shapes cannot grow it
# Kinds whose text values `values.coerce` checks itself (numbers, dates, IDs, email); every
# other kind only checks a text's length (and a picklist's blank means null).
CHECKED_KINDS = ("boolean", "int", "double", "currency", "percent", "datetime", "date",
                 "reference", "id", "email")
BOOLEAN_TEXT = {"true": 1, "false": 0}


class Columns:
    """How one shape of record (its keys, in order) becomes the stored row."""

    __slots__ = ("error", "steps")

    def __init__(self, steps: list[tuple[str, str, Convert]],
                 error: Callable[[], errors.SalesforceError] | None):
        self.steps = steps
        self.error = error

    def prepare(self, data: dict) -> dict:
        """The stored row of `data`, or the SalesforceError its first bad value or key meets."""
        row: dict = {}
        for key, name, convert in self.steps:
            row[name] = convert(data[key])
        if self.error is not None:
            raise self.error()
        return row


def columns(org, sobject: SObjectType, keys: tuple, *, creating: bool,
            check: bool) -> Columns:
    """The plan for records with these keys; cached unless field-level security overrides
    apply (then it is worked out for this call, as the loop did)."""
    security = org.field_security
    cacheable = not (check and security.overrides)
    cache = sobject.cache("write:columns")
    if cacheable:
        found = cache.get((keys, creating, check))
        if found is not None:
            return found
    steps: list[tuple[str, str, Convert]] = []
    error = None
    for key in keys:
        if key == "attributes":
            continue
        f = sobject.field(key)
        if f is None or (check and not security.readable(sobject, f)):
            error = _invalid_field(key, sobject.name)
            break
        allowed = f.createable if creating else f.updateable
        if check and not (allowed and security.editable(sobject, f)):
            error = _not_writable(f.name)
            break
        steps.append((key, f.name, converter(sobject, f)))
    plan = Columns(steps, error)
    if cacheable:
        if len(cache) >= MAX_SHAPES:
            cache.clear()
        cache[(keys, creating, check)] = plan
    return plan


def _invalid_field(key: str, type_name: str) -> Callable[[], errors.SalesforceError]:
    return lambda: errors.InvalidField(f"No such column '{key}' on sobject of type {type_name}")


def _not_writable(name: str) -> Callable[[], errors.SalesforceError]:
    return lambda: errors.InvalidFieldForInsertUpdate(
        f"Unable to create/update fields: {name}. Please check the security settings of this "
        f"field and verify that it is read/write for your profile or permission set.", [name])


def converter(sobject: SObjectType, f: Field) -> Convert:
    """`values.coerce` for field `f` (a null non-nillable checkbox stored as 0), with its
    common case (a JSON boolean, a text within its length) answered without the call."""
    zero_for_null = f.type == "boolean" and not f.nillable

    def coerce(value: object) -> object:
        stored = values.coerce(sobject, f, value)
        if stored is None and zero_for_null:
            return 0
        return stored

    kind, limit = f.type, f.length
    if kind == "boolean":
        def convert(value: object) -> object:
            if value is True or value is False:
                return int(value)
            if type(value) is str and value in BOOLEAN_TEXT:
                return BOOLEAN_TEXT[value]
            return coerce(value)
        return convert
    if kind == "email":
        def convert(value: object) -> object:
            if type(value) is str and (not limit or len(value) <= limit) \
                    and (not value or values.EMAIL_RE.match(value)):
                return value
            return coerce(value)
        return convert
    if kind in CHECKED_KINDS:
        return coerce
    blank_is_null = kind == "picklist"

    def convert(value: object) -> object:
        if type(value) is str and (not limit or len(value) <= limit) \
                and not (blank_is_null and value == ""):
            return value
        return coerce(value)
    return convert


def defaults(sobject: SObjectType) -> list[tuple[str, object]]:
    """(field, stored default) of each field with a default, in field order."""
    return _per_type(sobject, "write:defaults", lambda: [
        (f.name, int(f.default) if f.type == "boolean" else f.default)
        for f in sobject.fields_with_defaults()])


def computed(sobject: SObjectType) -> list[Field]:
    """The auto-number and formula fields, in field order (what `Org._derive` walks)."""
    return _per_type(sobject, "write:computed", lambda: [
        f for f in sobject.fields.values() if f.auto_number or f.formula])


def references(sobject: SObjectType) -> frozenset[str]:
    """The names of the lookup fields."""
    return _per_type(sobject, "write:references", lambda: frozenset(
        f.name for f in sobject.fields.values() if f.type == "reference"))


def addresses(sobject: SObjectType) -> list[tuple[str, list[tuple[str, str]], frozenset[str]]]:
    """Each compound address field, its parts (`SObjectType.addresses`) and their names."""
    return _per_type(sobject, "write:addresses", lambda: [
        (name, parts, frozenset(part for _, part in parts))
        for name, parts in sobject.addresses().items()])


def _per_type(sobject: SObjectType, name: str, make: Callable[[], T]) -> T:
    """`make()`, worked out once a type (cached until one of its fields changes)."""
    cache = sobject.cache(name)
    if "all" not in cache:
        cache["all"] = make()
    return cache["all"]


class Shape:
    """A batch's per-shape work for a plain type (`batch.plain`): the key plan and what the
    checks and derived fields of `Org._new_row` / `Org._changed_row` need for rows of it."""

    __slots__ = ("addresses", "built", "columns", "defaults", "derived_name", "names",
                 "references", "required", "unread")

    def __init__(self, org, sobject: SObjectType, keys: tuple, *, creating: bool):
        self.unread: tuple | None = None  # batch's unread UPDATE for the shape, once made
        self.columns = columns(org, sobject, keys, creating=creating, check=True)
        names = {name for _, name, _ in self.columns.steps}
        self.names = names
        self.references = not references(sobject).isdisjoint(names)
        self.required = [f.name for f in sobject.required_fields()]
        name = sobject.fields.get("Name")
        self.derived_name = name is not None and name.calculated
        self.defaults = {name: value for name, value in defaults(sobject) if name not in names}
        held = names | self.defaults.keys()
        # An update rebuilds the addresses whose parts it sets; an insert builds each address
        # (`built`: its parts, or None when the row holds none of them, so it is null).
        self.addresses = [(name, parts) for name, parts, part_names in addresses(sobject)
                          if not part_names.isdisjoint(names)]
        self.built = [(name, None if part_names.isdisjoint(held) else parts)
                      for name, parts, part_names in addresses(sobject)]


def shape(org, sobject: SObjectType, keys: tuple, *, creating: bool) -> Shape:
    """`Shape(...)`, cached on the type as `columns` is (not while field-level security
    overrides apply): a Collections call's records are mostly of a shape seen before."""
    if org.field_security.overrides:
        return Shape(org, sobject, keys, creating=creating)
    cache = sobject.cache("write:shapes")
    found = cache.get((keys, creating))
    if found is None:
        if len(cache) >= MAX_SHAPES:
            cache.clear()
        found = cache[(keys, creating)] = Shape(org, sobject, keys, creating=creating)
    return found


def unique(sobject: SObjectType) -> list[str]:
    """The names of the unique fields, in field order."""
    return _per_type(sobject, "write:unique", lambda: [
        f.name for f in sobject.fields.values() if f.unique])
