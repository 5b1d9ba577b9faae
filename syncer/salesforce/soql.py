"""Helpers for building SOQL (values are always quoted by simple-salesforce's format_soql)."""

from __future__ import annotations

from collections.abc import Iterator


def in_chunks(values: list[str], max_chars: int,
              max_count: int | None = None) -> Iterator[list[str]]:
    """Values for `IN (...)` lists: each about `max_chars` of quoted SOQL at most (which
    keeps a query's URL under Salesforce's 16,384 bytes), and `max_count` values at most."""
    chunk: list[str] = []
    size = 0
    for value in values:
        cost = len(value) + 4  # quotes, comma, space
        if chunk and (size + cost > max_chars
                      or (max_count is not None and len(chunk) >= max_count)):
            yield chunk
            chunk, size = [], 0
        chunk.append(value)
        size += cost
    if chunk:
        yield chunk
