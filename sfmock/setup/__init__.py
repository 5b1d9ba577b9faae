"""Setup pages: a small Salesforce Setup (login, Quick Find, Object Manager, page layout
editor, record pages, installed packages, API usage, record browser), server-rendered with
Flask and Jinja2. Mounted under /setup (and record pages under /lightning/r/...), outside
/services, so browsing them never counts as an API call."""

from . import guard, pages  # noqa: F401  (they register their routes and hooks on bp)
from .blueprint import bp

__all__ = ["bp"]
