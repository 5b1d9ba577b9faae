"""Field-level security of the API users' profile: hidden, read-only or editable fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from .schema import Field, SObjectType

HIDDEN, READ_ONLY, EDIT = "hidden", "read", "edit"


@dataclass
class FieldSecurity:
    """Overrides per (type, field); fields not listed keep their natural access."""

    overrides: dict[tuple[str, str], str] = field(default_factory=dict)

    def set(self, sobject: str, field_name: str, access: str) -> None:
        if access not in (HIDDEN, READ_ONLY, EDIT):
            raise ValueError(f"access must be one of {HIDDEN}, {READ_ONLY}, {EDIT}")
        self.overrides[(sobject, field_name)] = access

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
