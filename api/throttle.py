"""Slowing down guessing, per source address: a small in-memory token bucket.

Each failed sign-in (a 401: unknown or missing bearer token, a wrong token on the sign-in page)
and each "no client with this key" (a probe of someone else's caseload) costs the source one
token; tokens come back at `refill_per_s`. While a source has no token left, every request from
it answers 429 with Retry-After, so a guesser gets `burst` tries and then one per 1/refill
seconds. Honest mistakes stay far below that. In memory and per process: a restart forgets, and
with several workers each keeps its own count (a guesser gets burst × workers tries).
"""
from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class Throttle:
    def __init__(self, burst: float = 20, refill_per_s: float = 0.2, max_sources: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.burst, self.refill, self.max_sources, self.clock = burst, refill_per_s, max_sources, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # source -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, source: str, now: float) -> float:
        tokens, at = self._buckets.get(source, (self.burst, now))
        return min(self.burst, tokens + (now - at) * self.refill)

    def retry_after(self, source: str) -> int:
        """0 when the source may go on, else the seconds until its next token."""
        with self._lock:
            tokens = self._tokens(source, self.clock())
        return 0 if tokens >= 1 else max(1, math.ceil((1 - tokens) / self.refill))

    def penalise(self, source: str) -> None:
        with self._lock:
            now = self.clock()
            self._buckets[source] = (max(0.0, self._tokens(source, now) - 1), now)
            self._buckets.move_to_end(source)
            while len(self._buckets) > self.max_sources:  # bounded: the oldest penalties are forgotten
                self._buckets.popitem(last=False)
