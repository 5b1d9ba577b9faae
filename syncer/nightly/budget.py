"""The daily API allocation a run may spend: it never spends into the reserve."""

from __future__ import annotations

import math

from .errors import ReserveReached
from .remote import Remote


class Budget:
    """The daily API allocation: never spend into the reserve."""

    def __init__(self, remote: Remote, percent: float):
        self.remote = remote
        used, self.maximum = remote.limits()
        self.reserve = math.ceil(self.maximum * percent / 100)
        self.percent = percent
        self.base_used, self.base_calls = used, remote.calls

    def used(self) -> int:
        mine = self.base_used + (self.remote.calls - self.base_calls)
        seen = self.remote.usage()
        return max(mine, seen[0]) if seen else mine

    def need(self, calls: int, phase: str) -> None:
        left = self.maximum - self.used()
        if left - calls < self.reserve:
            raise ReserveReached(
                f"API reserve reached at {phase}: {left} of {self.maximum} daily calls left,"
                f" {self.reserve} ({self.percent:g}%) kept in reserve; the next run resumes here"
            )
