"""A sliding-window rate limit per learner and bucket, in process memory.

``QUIZ_RATE_LIMIT = "10/60"`` allows 10 quiz submissions per learner in any 60
seconds. Counts live in this process: with several server processes each keeps
its own, so the effective limit is per process (a shared Redis store arrives with
the multi-process deployment in a later issue).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Hashable

from flask import Flask, current_app

DEFAULTS = {"QUIZ_RATE_LIMIT": "10/60"}


class RateLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds; thread-safe."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[Hashable, deque[float]] = {}
        self._lock = threading.Lock()
        self._next_sweep = clock() + window

    @classmethod
    def parse(cls, spec: str) -> RateLimiter:
        """From ``"N/S"``: N hits per S seconds."""
        try:
            limit, window = str(spec).split("/")
            return cls(int(limit), float(window))
        except ValueError as error:
            raise ValueError(f"rate limit {spec!r} is not 'hits/seconds', e.g. '10/60'") from error

    def hit(self, key: Hashable) -> float | None:
        """Count a hit for ``key``: None if allowed, else seconds until one would be.
        Refused hits are not counted, so waiting always helps."""
        with self._lock:
            now = self.clock()
            if now >= self._next_sweep:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        """Forget keys with no recent hits, so memory follows active learners only."""
        cutoff = now - self.window
        stale = [key for key, hits in self._hits.items() if not hits or hits[-1] <= cutoff]
        for key in stale:
            del self._hits[key]
        self._next_sweep = now + self.window


def init_app(app: Flask) -> None:
    """One limiter per bucket, in ``app.extensions["ratelimit"]``."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.extensions["ratelimit"] = {"quiz": RateLimiter.parse(app.config["QUIZ_RATE_LIMIT"])}


def hit(bucket: str, learner_id: str) -> float | None:
    """Count one ``bucket`` action by the learner: None if allowed, else the
    seconds to wait (for a ``Retry-After`` header or an error ack)."""
    limiter: RateLimiter = current_app.extensions["ratelimit"][bucket]
    return limiter.hit(learner_id)
