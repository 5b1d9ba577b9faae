"""Salesforce record IDs: key prefixes, the 15/18-character forms and the case-safe suffix."""

from __future__ import annotations

import string

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_CHARS = frozenset(string.ascii_letters + string.digits)


# An ID's characters as bits: 1 for an upper-case letter (what the checksum counts), else 0.
_CASE_BITS = str.maketrans(string.ascii_uppercase + string.ascii_lowercase + string.digits,
                           "1" * 26 + "0" * 36)


def suffix(id15: str) -> str:
    """The 3-character case-safe checksum of a 15-character ID: for each run of 5 characters,
    the letter whose index has bit i set when the run's i-th character is upper-case."""
    bits = id15.translate(_CASE_BITS)[::-1]  # reversed, so each run reads as a binary number
    try:
        return (SUFFIX_ALPHABET[int(bits[10:15], 2)] + SUFFIX_ALPHABET[int(bits[5:10], 2)]
                + SUFFIX_ALPHABET[int(bits[0:5], 2)])
    except ValueError:  # not letters and digits only: count the upper-case letters one by one
        return "".join(SUFFIX_ALPHABET[sum(1 << i for i, ch in enumerate(id15[start:start + 5])
                                           if "A" <= ch <= "Z")] for start in (0, 5, 10))


def to18(id15: str) -> str:
    return id15 + suffix(id15)


def normalise(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character ID, or None if it is not a valid ID."""
    if not isinstance(value, str) or len(value) not in (15, 18) or not set(value) <= ID_CHARS:
        return None
    canonical = to18(value[:15])
    if len(value) == 18 and value[15:].upper() != canonical[15:]:
        return None
    return canonical


def looks_like_id(value: str) -> bool:
    """True for a string shaped like an ID (15 or 18 alphanumerics), valid checksum or not."""
    return isinstance(value, str) and len(value) in (15, 18) and set(value) <= ID_CHARS


def encode_base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    if number:
        raise OverflowError("ID counter exhausted")
    return "".join(reversed(chars))


def decode_base62(text: str) -> int:
    number = 0
    for char in text:
        number = number * 62 + BASE62.index(char)
    return number


def make_id(prefix: str, pod: str, counter: int) -> str:
    """An 18-character ID: 3-char key prefix, 2-char pod, a reserved 0, 9-char base62 counter."""
    return to18(prefix + pod + "0" + encode_base62(counter, 9))
