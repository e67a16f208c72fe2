"""A per-connection budget of socket events, so one flooding client cannot crowd the
server's threads; and a limit on live-session codes tried (``code_attempt``), so
codes cannot be guessed.

python-socketio starts a thread for every event, so a check inside the handler
comes after a thread per flooded event. ``install`` puts the budget in front of
that: an event past it is answered at once, on the connection's reader thread, and
never reaches a handler. And the connection is read no faster than its events are
handled (``web.inbox``): a flooder waits on its own socket instead of queuing its
events in the server, so the refusals that drop it are counted within a fraction of a
second (bench/hostile.py, 4 flooders: bystander's step p99 42 ms, from 110–218 ms).

``SOCKET_EVENT_RATE = "240/4"``: a connection may send a burst of 240 events, and 60
a second after that (a token bucket; a dragged slider sends at most one a frame).
Past it, each event is answered ``too_many_events`` and does nothing; a connection
that has ``SOCKET_FLOOD_REFUSALS`` events refused before its bucket refills (the
events the rate lets through meanwhile do not clear the count) is disconnected.
Its address then has a **strike** for ``SOCKET_FLOOD_STRIKE_SECONDS``:
new connections from it start without the burst (``SOCKET_STRUCK_BURST`` events at
once, the same rate after) and are dropped after as many refusals, so a flooder who
reconnects at once costs the server tens of events a round, not hundreds. Others
behind the same address (a school's NAT) still get the steady rate, more than a
learner's clicks need.

A connection dropped while its address has a strike already (a flooder back for more)
is **held** first: its own reader thread sleeps ``SOCKET_FLOOD_HOLD_SECONDS`` before
the cut, so what it sends meanwhile waits in its socket, unread, and it cannot
reconnect to start again. Without the hold, four flooders reconnected 847 times in
20 s, each a websocket handshake and three threads (bench/hostile.py).
"""

from __future__ import annotations

import contextlib
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, request
from socketio import packet

from course.web import ratelimit
from course.web.fair import address_of, client_address
from course.web.ratelimit import parse_spec
from course.web.validation import PayloadError

DEFAULTS = {
    "SOCKET_EVENT_RATE": "240/4",
    "SOCKET_FLOOD_REFUSALS": 240,
    "SOCKET_FLOOD_STRIKE_SECONDS": 60.0,
    "SOCKET_STRUCK_BURST": 20,
    "SOCKET_FLOOD_HOLD_SECONDS": 10.0,
}
Key = tuple[str, ...]  # (namespace, connection, address)
IDLE = 300.0  # seconds after which a quiet connection's bucket is forgotten


class Bucket:
    __slots__ = ("tokens", "stamp", "refused", "burst")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp, self.refused, self.burst = tokens, stamp, 0, tokens


class EventBudget:
    """Token buckets by connection; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.buckets: dict[Key, Bucket] = {}
        self.strikes: dict[str, float] = {}  # address → when its strike ends
        self.lock = threading.Lock()
        self.next_sweep = clock() + IDLE

    def spend(
        self, key: Key, burst: int, per_second: float, *, struck_burst: int | None = None
    ) -> int:
        """Spend one event of ``key``'s budget: 0 if allowed, else how many events it has
        refused (this one included) since its bucket was last full: a flooder whose
        stream lets an event through now and then still adds up. ``struck_burst``: the
        burst of a new connection from an address with a strike (``key[2]`` is the
        address)."""
        with self.lock:
            now = self.clock()
            if now >= self.next_sweep:
                self.buckets = {k: b for k, b in self.buckets.items() if now - b.stamp < IDLE}
                self.strikes = {a: end for a, end in self.strikes.items() if end > now}
                self.next_sweep = now + IDLE
            bucket = self.buckets.get(key)
            if bucket is None:
                if struck_burst is not None and self.struck(key[-1], now):
                    burst = min(burst, struck_burst)
                bucket = self.buckets[key] = Bucket(float(burst), now)
            burst = int(bucket.burst)
            bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * per_second)
            bucket.stamp = now
            if bucket.tokens >= burst:  # calm long enough to refill: its refusals are forgiven
                bucket.refused = 0
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0
            bucket.refused += 1
            return bucket.refused

    def struck(self, address: str, now: float) -> bool:
        return self.strikes.get(address, 0.0) > now

    def strike(self, address: str, seconds: float) -> None:
        """``address`` flooded: its new connections start without the burst for a while."""
        with self.lock:
            self.strikes[address] = self.clock() + seconds

    def burst_of(self, key: Key) -> int | None:
        with self.lock:
            bucket = self.buckets.get(key)
            return None if bucket is None else int(bucket.burst)

    def forget(self, key: Key) -> None:
        with self.lock:
            self.buckets.pop(key, None)


def install(server: Any) -> None:
    """Spend each event's budget before python-socketio hands it to a thread (see the
    module doc). ``server`` is the ``socketio.Server``; the settings are those of the
    app behind each connection (tests build several apps on one server)."""
    handle = getattr(server._handle_event, "__wrapped__", server._handle_event)

    def handle_event(eio_sid: str, namespace: str | None, id: int | None, data: Any) -> Any:
        environ = server.environ.get(eio_sid) or {}
        app: Flask | None = environ.get("flask.app")
        if app is None:
            return handle(eio_sid, namespace, id, data)
        budget: EventBudget = app.extensions.setdefault("event_budget", EventBudget())
        setting = {name: app.config.get(name, value) for name, value in DEFAULTS.items()}
        burst, seconds = parse_spec(setting["SOCKET_EVENT_RATE"])
        address = address_of(environ, int(app.config.get("PROXIES", 0) or 0))
        key = (namespace or "/", eio_sid, address)
        struck_burst = int(setting["SOCKET_STRUCK_BURST"])
        refused = budget.spend(key, burst, burst / seconds, struck_burst=struck_burst)
        if not refused:
            return handle(eio_sid, namespace, id, data)
        allowed = budget.burst_of(key) or burst
        if id is not None:
            error = PayloadError(
                "too_many_events",
                f"too many events: at most {allowed} at once and {burst / seconds:g} a second "
                "on one connection; this connection closes if they keep coming",
            )
            ack = server.packet_class(packet.ACK, namespace=namespace, data=[error.as_ack()], id=id)
            server._send_packet(eio_sid, ack)
        limit = min(int(setting["SOCKET_FLOOD_REFUSALS"]), allowed)
        if refused >= limit:
            again = budget.struck(address, budget.clock())
            budget.strike(address, float(setting["SOCKET_FLOOD_STRIKE_SECONDS"]))
            if again:
                hold(float(setting["SOCKET_FLOOD_HOLD_SECONDS"]))
            sid = server.manager.sid_from_eio_sid(eio_sid, namespace or "/")
            if sid is not None:
                server.disconnect(sid, namespace=namespace or "/")
            server.eio.disconnect(eio_sid)  # the whole connection, not just the namespace
            cut(environ)
        return None

    handle_event.__wrapped__ = handle  # type: ignore[attr-defined]
    server._handle_event = handle_event


def hold(seconds: float) -> None:
    """Keep a flooder's connection unread for ``seconds``: this runs on the connection's
    own reader thread (python-socketio hands events to threads after ``install``'s
    check), so nothing else waits, and its events wait in its socket."""
    time.sleep(seconds)


def cut(environ: dict[str, Any]) -> None:
    """Close a dropped flooder's TCP connection itself. Engine.IO's disconnect sends a
    close frame and waits for the client's answer, and a flooder that never reads goes
    on streaming events meanwhile, every one of them read and decoded by the server
    (bench/hostile.py: four flooders sent 1.3 M events in 15 s and were dropped twice)."""
    raw = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if raw is not None:
        with contextlib.suppress(OSError):  # closed already
            raw.shutdown(socket.SHUT_RDWR)


@contextmanager
def code_attempt(field: str = "code") -> Iterator[None]:
    """Around looking up a live-session code: PayloadError ``too_many_codes`` past
    ``LIVE_CODE_RATE_LIMIT`` tries on this connection, or once this address has tried
    ``LIVE_CODE_ADDRESS_RATE_LIMIT`` codes that do not exist. Only misses count against
    the address (a classroom behind one NAT address joins freely), but an address over
    its limit is refused before the lookup, so a guesser learns nothing more."""
    address = client_address()
    checks = (
        ("live_code", f"{request.namespace}:{request.sid}", True, "on this connection"),  # type: ignore[attr-defined]
        ("live_code_address", address, False, "from your network address"),
    )
    for bucket, key, count, where in checks:
        wait = ratelimit.hit(bucket, key, count=count)
        if wait is not None:
            raise PayloadError(
                "too_many_codes",
                f"too many session codes tried {where}; try again in {math.ceil(wait)} s",
                field,
            )
    try:
        yield
    except PayloadError as error:
        if error.code == "not_found":
            ratelimit.hit("live_code_address", address)
        raise
