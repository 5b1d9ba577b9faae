"""Salesforce record IDs: the case-safe 18-character form and the Contact and Lead key prefixes."""

from __future__ import annotations

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
KEY_PREFIXES = {"003": "Contact", "00Q": "Lead"}


def to18(id15: str) -> str:
    """The 15-character ID followed by its 3-character case-safe suffix.

    Each 5-character chunk gives one suffix character: bit i (counting from the chunk's left)
    is set when character i is an uppercase A-Z.
    """
    suffix = ""
    for start in (0, 5, 10):
        chunk = id15[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix += SUFFIX_ALPHABET[bits]
    return id15 + suffix


def record_type(sfid: str) -> str | None:
    """'Contact' or 'Lead' from the ID's key prefix, None for any other object."""
    return KEY_PREFIXES.get(sfid[:3])
