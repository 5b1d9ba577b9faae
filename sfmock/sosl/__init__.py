"""SOSL for sfmock: parse `FIND {...}` searches and run them over an org's text fields."""

from .engine import response, search
from .parser import parse

__all__ = ["parse", "response", "search"]
