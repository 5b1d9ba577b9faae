"""Salesforce record IDs: key prefixes, the 15/18-character forms and the case-safe suffix."""

from __future__ import annotations

import functools
import string

SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ID_CHARS = frozenset(string.ascii_letters + string.digits)


# An ID's characters as bits: 1 for an upper-case letter (what the checksum counts), else 0
# (bytes.translate: a table, several times faster than str.translate's dict).
_CASE_BITS = bytes.maketrans((string.ascii_uppercase + string.ascii_lowercase
                              + string.digits).encode(), b"1" * 26 + b"0" * 36)
# Each run of 5 such bits (character i is bit i) and its checksum letter: one dict lookup a run.
_RUN_LETTER = {format(n, "05b")[::-1].encode(): SUFFIX_ALPHABET[n] for n in range(32)}


def suffix(id15: str) -> str:
    """The 3-character case-safe checksum of a 15-character ID: for each run of 5 characters,
    the letter whose index has bit i set when the run's i-th character is upper-case."""
    try:
        bits = id15.encode().translate(_CASE_BITS)
        return _RUN_LETTER[bits[0:5]] + _RUN_LETTER[bits[5:10]] + _RUN_LETTER[bits[10:15]]
    except (KeyError, UnicodeEncodeError):  # not letters and digits only: count the upper-case letters one by one
        return "".join(SUFFIX_ALPHABET[sum(1 << i for i, ch in enumerate(id15[start:start + 5])
                                           if "A" <= ch <= "Z")] for start in (0, 5, 10))


def to18(id15: str) -> str:
    return id15 + suffix(id15)


def normalise(value: str) -> str | None:
    """The 18-character form of a 15- or 18-character ID, or None if it is not a valid ID."""
    # isascii() and isalnum(): letters and digits only, as `set(value) <= ID_CHARS`, 5x faster
    if not isinstance(value, str) or len(value) not in (15, 18) or not value.isascii() \
            or not value.isalnum():
        return None
    # suffix() inline: letters and digits only, so every character has its bit.
    bits = value.encode().translate(_CASE_BITS)
    checksum = _RUN_LETTER[bits[0:5]] + _RUN_LETTER[bits[5:10]] + _RUN_LETTER[bits[10:15]]
    if len(value) == 15:
        return value + checksum
    given = value[15:]
    if given == checksum:
        return value  # the usual case: already canonical, no new string
    if given.upper() != checksum:
        return None
    return value[:15] + checksum


# normalise_many's tables: a character's case bit as a byte (1 upper-case, else 0), and a
# run's value (0-31) as its checksum letter.
_BIT_BYTE = bytes.maketrans((string.ascii_uppercase + string.ascii_lowercase
                             + string.digits).encode(), b"\1" * 26 + b"\0" * 36)
_RUN_VALUE_LETTER = bytes.maketrans(bytes(range(32)), SUFFIX_ALPHABET.encode())


def normalise_many(values: list) -> list[str | None]:
    """`[normalise(v) for v in values]`, with the usual list (18-character IDs already
    canonical: a Collections call's 200) checked without a Python step an ID. Joined, every
    18th byte is one position of every ID; the five case bits of a run, each such column read
    as one big integer and shifted by its bit's weight, add up to every ID's run value at
    once (a byte holds at most 31, so none carries into the next), and one translate makes
    them the checksum letters to compare with the suffixes' columns."""
    if len(values) > 1 and set(map(type, values)) == {str} and set(map(len, values)) == {18}:
        joined = "".join(values)
        given = joined.encode()
        if joined.isascii() and given.isalnum():  # bytes.isalnum: ASCII's, 10x str's
            bits = given.translate(_BIT_BYTE)
            for run in range(3):
                total = sum(int.from_bytes(bits[run * 5 + i::18], "big") << i for i in range(5))
                letters = total.to_bytes(len(values), "big").translate(_RUN_VALUE_LETTER)
                if letters != given[15 + run::18]:
                    break
            else:
                return list(values)
    return [normalise(value) for value in values]


def looks_like_id(value: str) -> bool:
    """True for a string shaped like an ID (15 or 18 alphanumerics), valid checksum or not."""
    return isinstance(value, str) and len(value) in (15, 18) and value.isascii() \
        and value.isalnum()


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
    head, first_runs, run_bits = _head(prefix, pod, counter // _PAIR_COUNT)
    low = counter % _PAIR_COUNT
    return (head + _PAIRS[low] + first_runs
            + SUFFIX_ALPHABET[run_bits | _PAIR_BITS[low]])


# make_id, a record at a time in bulk loads: the counter's last two base62 digits come from a
# table and the first 13 characters (and the checksum of the first 10) from a small cache.
_PAIRS = [a + b for a in BASE62 for b in BASE62]
_PAIR_COUNT = len(_PAIRS)
_PAIR_BITS = [(("A" <= p[0] <= "Z") << 3) | (("A" <= p[1] <= "Z") << 4) for p in _PAIRS]


@functools.lru_cache(maxsize=256)
def _head(prefix: str, pod: str, high: int) -> tuple[str, str, int]:
    """The ID's first 13 characters for counters `high * 3844` on, the checksum letters of its
    first two runs of 5, and the upper-case bits of characters 10-12 (bits 0-2 of run 3)."""
    head = prefix + pod + "0" + encode_base62(high, 7)
    bits = sum(1 << i for i, ch in enumerate(head[10:13]) if "A" <= ch <= "Z")
    return head, suffix(head + "00")[:2], bits
