"""SOQL for sfmock: parse, compile to SQLite, run with Salesforce's paging and error wording."""

from .engine import QueryEngine
from .parser import parse

__all__ = ["QueryEngine", "parse"]
