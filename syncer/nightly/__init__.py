"""The nightly two-way sync: one run in a few steps (pull, follow, decide, fan out, write)."""

from .errors import NightlyError, SyncBusy
from .records import TYPES, soql_datetime
from .report import RunReport
from .run import run_nightly

__all__ = ["TYPES", "NightlyError", "RunReport", "SyncBusy", "run_nightly", "soql_datetime"]
