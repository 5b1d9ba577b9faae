"""The nightly two-way sync: one run in a few steps (pull, follow, decide, fan out, write)."""

from .db import NightlyError, SyncBusy
from .run import TYPES, RunReport, run_nightly, soql_datetime, stale_opt_outs

__all__ = ["TYPES", "NightlyError", "RunReport", "SyncBusy", "run_nightly", "soql_datetime",
           "stale_opt_outs"]
