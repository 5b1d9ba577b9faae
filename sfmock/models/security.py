"""Field-level security of the API users' profile: hidden, read-only or editable fields."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .schema import Field, SObjectType

HIDDEN, READ_ONLY, EDIT = "hidden", "read", "edit"


@dataclass
class FieldSecurity:
    """Overrides per (type, field); fields not listed keep their natural access."""

    overrides: dict[tuple[str, str], str] = field(default_factory=dict)
    # Called after every change, so the org can persist the overrides.
    on_change: Callable[[], None] | None = field(default=None, repr=False, compare=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def set(self, sobject: str, field_name: str, access: str) -> None:
        """Set a field's access by API names, exactly as the schema spells them."""
        if access not in (HIDDEN, READ_ONLY, EDIT):
            raise ValueError(f"access must be one of {HIDDEN}, {READ_ONLY}, {EDIT}")
        with self.lock:
            if access == EDIT:
                self.overrides.pop((sobject, field_name), None)
            else:
                self.overrides[(sobject, field_name)] = access
            if self.on_change is not None:
                self.on_change()

    def entries(self) -> list[list[str]]:
        """The overrides as `[type, field, access]` triples (for saving and listing)."""
        return [[t, f, a] for (t, f), a in sorted(self.overrides.items())]

    def load(self, entries: list[list[str]]) -> None:
        self.overrides = {(t, f): a for t, f, a in entries}

    def access(self, sobject: SObjectType, f: Field) -> str:
        return self.overrides.get((sobject.name, f.name), EDIT)

    def readable(self, sobject: SObjectType, f: Field) -> bool:
        return self.access(sobject, f) != HIDDEN

    def editable(self, sobject: SObjectType, f: Field) -> bool:
        return self.access(sobject, f) == EDIT

    def describe(self, sobject: SObjectType, f: Field) -> dict | None:
        """The describe entry as the user sees it: None when hidden, read-only when so set."""
        access = self.access(sobject, f)
        if access == HIDDEN:
            return None
        entry = f.describe()
        if access == READ_ONLY:
            entry["createable"] = entry["updateable"] = False
        return entry
