"""Sign-in backoff per (client address, email): wrong passwords from one address make
that address wait longer and longer for that account, and nobody else.

A global per-account block would let anyone lock a teacher out by sending wrong
passwords for their email; keyed by address and email, an attacker only locks
themselves out, and the owner signs in from their own address as usual. The first
``free`` failures cost nothing (typos); each later one locks the pair for ``first``
seconds, doubled per failure up to ``cap``. A right password clears the pair's
count. Counts are forgotten ``forget`` seconds after the last failure.

In one process the counts live in memory (`Backoff`); with ``REDIS_URL`` in Redis
(`RedisBackoff`), so every process behind the proxy sees the same locks.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app


@dataclass(frozen=True)
class Schedule:
    """How long a pair waits after its n-th failure."""

    free: int = 3  # failures before any wait
    first: float = 2.0  # seconds of the first wait
    cap: float = 900.0  # longest wait
    forget: float = 3600.0  # a pair's count lasts this long after its last failure

    def lock(self, failures: int) -> float:
        """Seconds to wait after ``failures`` wrong passwords (0 while still free)."""
        extra = failures - self.free
        if extra <= 0:
            return 0.0
        return min(self.cap, self.first * 2.0 ** min(extra - 1, 60))


class Throttle(Protocol):
    def wait(self, key: str) -> float | None: ...
    def failed(self, key: str) -> float: ...
    def succeeded(self, key: str) -> None: ...


class Backoff:
    """The in-process throttle: per key, a failure count and the time its lock ends."""

    def __init__(self, schedule: Schedule, clock: Callable[[], float] = time.monotonic) -> None:
        self.schedule, self.clock = schedule, clock
        self._pairs: dict[str, tuple[int, float, float]] = {}  # failures, until, last
        self._lock = threading.Lock()
        self._next_sweep = clock() + schedule.forget

    def wait(self, key: str) -> float | None:
        """Seconds until ``key`` may try again, or None if it may now."""
        with self._lock:
            now = self.clock()
            if now >= self._next_sweep:
                self._sweep(now)
            found = self._pairs.get(key)
            if found is None or found[1] <= now:
                return None
            return found[1] - now

    def failed(self, key: str) -> float:
        """Count a wrong password for ``key``; the lock it earns (0 while free)."""
        with self._lock:
            now = self.clock()
            failures, _, last = self._pairs.get(key, (0, 0.0, now))
            if now - last > self.schedule.forget:
                failures = 0
            lock = self.schedule.lock(failures + 1)
            self._pairs[key] = (failures + 1, now + lock, now)
            return lock

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._pairs.pop(key, None)

    def _sweep(self, now: float) -> None:
        """Forget unlocked pairs idle past ``forget``: memory follows recent tries only."""
        stale = [
            key
            for key, (_, until, last) in self._pairs.items()
            if until <= now and now - last > self.schedule.forget
        ]
        for key in stale:
            del self._pairs[key]
        self._next_sweep = now + self.schedule.forget


class RedisBackoff:
    """`Backoff`'s contract in Redis: a counter that expires ``forget`` after the last
    failure and a lock key that expires when the lock ends (Redis's clock)."""

    def __init__(self, schedule: Schedule, client: Any) -> None:
        self.schedule, self.client = schedule, client

    def _keys(self, key: str) -> tuple[str, str]:
        base = f"unrolled:login-backoff:{key}"
        return f"{base}:n", f"{base}:until"

    def wait(self, key: str) -> float | None:
        left = int(self.client.pttl(self._keys(key)[1]))
        return left / 1000 if left > 0 else None

    def failed(self, key: str) -> float:
        count, until = self._keys(key)
        pipe = self.client.pipeline()
        pipe.incr(count)
        pipe.pexpire(count, math.ceil(self.schedule.forget * 1000))
        failures = int(pipe.execute()[0])
        lock = self.schedule.lock(failures)
        if lock > 0:
            self.client.set(until, "1", px=math.ceil(lock * 1000))
        return lock

    def succeeded(self, key: str) -> None:
        self.client.delete(*self._keys(key))


def init_app(app: Flask) -> None:
    """The sign-in throttle from ``LOGIN_FREE_FAILURES``, ``LOGIN_BACKOFF_SECONDS`` and
    ``LOGIN_BACKOFF_MAX`` (in Redis when the app has ``REDIS_URL``)."""
    schedule = Schedule(
        free=int(app.config.setdefault("LOGIN_FREE_FAILURES", 3)),
        first=float(app.config.setdefault("LOGIN_BACKOFF_SECONDS", 2)),
        cap=float(app.config.setdefault("LOGIN_BACKOFF_MAX", 900)),
    )
    if schedule.free < 0 or schedule.first <= 0 or schedule.cap < schedule.first:
        raise ValueError("sign-in backoff needs free >= 0 and 0 < first <= max")
    throttle: Throttle
    if app.config.get("REDIS_URL"):
        if "redis" not in app.extensions:
            import redis

            app.extensions["redis"] = redis.Redis.from_url(app.config["REDIS_URL"])
        throttle = RedisBackoff(schedule, app.extensions["redis"])
    else:
        throttle = Backoff(schedule)
    app.extensions["login_backoff"] = throttle


def throttle() -> Throttle:
    return current_app.extensions["login_backoff"]  # type: ignore[no-any-return]
