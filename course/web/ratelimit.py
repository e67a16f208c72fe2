"""Sliding-window rate limits per key (a learner, an email, an address) and bucket.

``QUIZ_RATE_LIMIT = "10/60"`` allows 10 quiz submissions per learner in any 60
seconds. With one process the counts live in its memory (`RateLimiter`); with
``REDIS_URL`` set they live in Redis (`RedisRateLimiter`), so every process behind
the proxy counts the same hits and the limit holds for the whole deployment.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask, current_app

DEFAULTS = {
    "QUIZ_RATE_LIMIT": "10/60",
    # live-session codes tried (joins, explore copies): every try per connection; the
    # unknown ones per address (a class behind one NAT address joins freely)
    "LIVE_CODE_RATE_LIMIT": "10/60",
    "LIVE_CODE_ADDRESS_RATE_LIMIT": "120/60",
}


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
        return cls(*parse_spec(spec))

    def hit(self, key: Hashable, *, count: bool = True) -> float | None:
        """Count a hit for ``key``: None if allowed, else seconds until one would be.
        Refused hits are not counted, so waiting always helps; ``count=False`` only
        asks whether one would be allowed."""
        with self._lock:
            now = self.clock()
            if now >= self._next_sweep:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            if count:
                hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        """Forget keys with no recent hits, so memory follows active learners only."""
        cutoff = now - self.window
        stale = [key for key, hits in self._hits.items() if not hits or hits[-1] <= cutoff]
        for key in stale:
            del self._hits[key]
        self._next_sweep = now + self.window


def parse_spec(spec: str) -> tuple[int, float]:
    """``"N/S"`` → (N hits, S seconds)."""
    try:
        limit, window = str(spec).split("/")
        return int(limit), float(window)
    except ValueError as error:
        raise ValueError(f"rate limit {spec!r} is not 'hits/seconds', e.g. '10/60'") from error


# Atomically: forget hits older than the window, refuse if `limit` remain (answering
# the seconds until the oldest leaves), else record this one (unless ARGV[4] is "0").
# Redis's own clock, so processes on different machines agree.
SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
if ARGV[4] == '0' then return false end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return false
"""


class RedisRateLimiter:
    """`RateLimiter`'s contract, counted in Redis: one sorted set of hit times per key,
    expiring with its window."""

    def __init__(self, limit: int, window: float, client: Any, bucket: str) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs limit >= 1 and window > 0")
        self.limit, self.window, self.bucket = limit, window, bucket
        self._script = client.register_script(SLIDING_WINDOW)

    def hit(self, key: Hashable, *, count: bool = True) -> float | None:
        """Count a hit for ``key``: None if allowed, else seconds until one would be
        (``count=False``: only ask)."""
        name = f"unrolled:ratelimit:{self.bucket}:{key}"
        args = [self.window, self.limit, uuid.uuid4().hex, "1" if count else "0"]
        wait = self._script(keys=[name], args=args)
        return None if wait is None else max(float(wait), 0.001)


def add(app: Flask, bucket: str, spec: str) -> None:
    """Limit ``bucket`` to ``spec`` ("N/S"): in Redis when the app has ``REDIS_URL``,
    else in this process."""
    limit, window = parse_spec(spec)
    url = app.config.get("REDIS_URL")
    limiters = app.extensions["ratelimit"]
    if url:
        if "redis" not in app.extensions:
            import redis

            app.extensions["redis"] = redis.Redis.from_url(url)
        limiters[bucket] = RedisRateLimiter(limit, window, app.extensions["redis"], bucket)
    else:
        limiters[bucket] = RateLimiter(limit, window)


def init_app(app: Flask) -> None:
    """One limiter per bucket, in ``app.extensions["ratelimit"]`` (others add theirs
    with `add`)."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)
    app.extensions["ratelimit"] = {}
    add(app, "quiz", app.config["QUIZ_RATE_LIMIT"])
    add(app, "live_code", app.config["LIVE_CODE_RATE_LIMIT"])
    add(app, "live_code_address", app.config["LIVE_CODE_ADDRESS_RATE_LIMIT"])


def hit(bucket: str, learner_id: str, *, count: bool = True) -> float | None:
    """Count one ``bucket`` action by the learner: None if allowed, else the
    seconds to wait (for a ``Retry-After`` header or an error ack); ``count=False``
    only asks."""
    limiter: RateLimiter | RedisRateLimiter = current_app.extensions["ratelimit"][bucket]
    return limiter.hit(learner_id, count=count)
