"""How hard and how long the syncer retries Salesforce: shared by the pusher and the nightly run."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from .salesforce import TransientError

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard and how long the pusher retries; times in seconds."""

    call_attempts: int = 4
    call_wait: float = 0.5
    call_wait_max: float = 8.0
    retry_wait: float = 2.0
    retry_wait_max: float = 3600.0
    limit_pause: float = 900.0
    capture_wait: float = 5.0

    def call(self, action: Callable[..., T], *args: object,
             sleep: Callable[[float], None] = time.sleep) -> T:
        """`action(*args)`, tried again on TransientError: `call_attempts` tries in all,
        waiting exponentially longer (jittered) between them; the last error is raised."""
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientError),
            stop=tenacity.stop_after_attempt(self.call_attempts),
            wait=tenacity.wait_random_exponential(multiplier=self.call_wait,
                                                  max=self.call_wait_max),
            sleep=sleep,
            before_sleep=lambda state: log.info("Salesforce call failed (%s); trying again",
                                                state.outcome.exception()),
            reraise=True,
        )
        return retrying(action, *args)

    def row_delay(self, attempts: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds before a row's next attempt: exponential in its attempts, half jittered."""
        delay = min(self.retry_wait_max, self.retry_wait * 2 ** min(attempts, 30))
        return delay / 2 + rand() * delay / 2
