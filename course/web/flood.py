"""A per-connection budget of socket events, so one flooding client cannot crowd the
server's threads (python-socketio runs every event in a thread of its own); and a
limit on live-session codes tried (``throttle_codes``), so codes cannot be guessed.

``SOCKET_EVENT_RATE = "240/4"``: a connection may send a burst of 240 events, and 60
a second after that (a token bucket; a dragged slider sends at most one a frame).
Past it, each event is answered ``too_many_events`` and does nothing; a connection
that goes on sending ``SOCKET_FLOOD_REFUSALS`` refused events in a row is
disconnected.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from flask import current_app, request

from course.web import ratelimit
from course.web.fair import client_address
from course.web.ratelimit import parse_spec
from course.web.validation import PayloadError

DEFAULTS = {"SOCKET_EVENT_RATE": "240/4", "SOCKET_FLOOD_REFUSALS": 240}
IDLE = 300.0  # seconds after which a quiet connection's bucket is forgotten


class Bucket:
    __slots__ = ("tokens", "stamp", "refused")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp, self.refused = tokens, stamp, 0


class EventBudget:
    """Token buckets by connection; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.lock = threading.Lock()
        self.next_sweep = clock() + IDLE

    def spend(self, key: tuple[str, str], burst: int, per_second: float) -> int:
        """Spend one event of ``key``'s budget: 0 if allowed, else how many events in a
        row it has refused (this one included)."""
        with self.lock:
            now = self.clock()
            if now >= self.next_sweep:
                self.buckets = {k: b for k, b in self.buckets.items() if now - b.stamp < IDLE}
                self.next_sweep = now + IDLE
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = Bucket(float(burst), now)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * per_second)
            bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                bucket.refused = 0
                return 0
            bucket.refused += 1
            return bucket.refused

    def forget(self, key: tuple[str, str]) -> None:
        with self.lock:
            self.buckets.pop(key, None)


def spend(namespace: str, sid: str) -> tuple[int, int, float]:
    """Spend one event of this connection's budget (the app's ``EventBudget``): how many
    in a row were refused (0: allowed), the burst and the sustained rate."""
    config = current_app.config
    budget: EventBudget = current_app.extensions.setdefault("event_budget", EventBudget())
    burst, seconds = parse_spec(config.get("SOCKET_EVENT_RATE", DEFAULTS["SOCKET_EVENT_RATE"]))
    per_second = burst / seconds
    return budget.spend((namespace, sid), burst, per_second), burst, per_second


def refusals_before_disconnect() -> int:
    return int(current_app.config.get("SOCKET_FLOOD_REFUSALS", DEFAULTS["SOCKET_FLOOD_REFUSALS"]))


def forget(namespace: str, sid: str) -> None:
    """A connection closed: its bucket goes."""
    budget: EventBudget | None = current_app.extensions.get("event_budget")
    if budget is not None:
        budget.forget((namespace, sid))


def throttle_codes(field: str = "code") -> None:
    """Count a live-session code tried on this connection and from this address;
    PayloadError ``too_many_codes`` past ``LIVE_CODE_RATE_LIMIT`` or
    ``LIVE_CODE_ADDRESS_RATE_LIMIT`` (before the code is looked up)."""
    connection = f"{request.namespace}:{request.sid}"  # type: ignore[attr-defined]
    for bucket, key, where in (
        ("live_code", connection, "on this connection"),
        ("live_code_address", client_address(), "from your network address"),
    ):
        wait = ratelimit.hit(bucket, key)
        if wait is not None:
            raise PayloadError(
                "too_many_codes",
                f"too many session codes tried {where}; try again in {math.ceil(wait)} s",
                field,
            )
