"""The daily API allocation a run may spend: it never spends into the reserve."""

from __future__ import annotations

import math

from .errors import ReserveReached
from .remote import Remote


class Budget:
    """The daily API allocation: never spend into the reserve.

    The allocation is read from the Sforce-Limit-Info header every API response carries, not
    asked for: a GET of /limits is itself an API call, and a night with nothing to do is one
    call. Until the run's first response has been seen, that first call goes ahead unchecked
    (asking /limits would have cost the same call).
    """

    def __init__(self, remote: Remote, percent: float):
        self.remote = remote
        self.percent = percent
        self.base: tuple[int, int, int] | None = None  # (used, maximum, calls) first seen

    def _seen(self) -> tuple[int, int, int] | None:
        if self.base is None:
            usage = self.remote.usage()
            if usage is not None:
                self.base = (*usage, self.remote.calls)
        return self.base

    def used(self) -> int:
        base_used, _, base_calls = self.base
        mine = base_used + (self.remote.calls - base_calls)
        seen = self.remote.usage()
        return max(mine, seen[0]) if seen else mine

    def need(self, calls: int, phase: str) -> None:
        if self._seen() is None:
            return
        maximum = self.remote.usage()[1]
        reserve = math.ceil(maximum * self.percent / 100)
        left = maximum - self.used()
        if left - calls < reserve:
            raise ReserveReached(
                f"API reserve reached at {phase}: {left} of {maximum} daily calls left,"
                f" {reserve} ({self.percent:g}%) kept in reserve; the next run resumes here"
            )
