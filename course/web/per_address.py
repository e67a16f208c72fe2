"""A cap on the Socket.IO connections one client address holds, every namespace
together (``MAX_SOCKETS_PER_ADDRESS``).

The per-namespace caps (``web.fair``) count a connection once it joins a namespace;
a client can hold bare Engine.IO connections that join none. Each costs the server
about four threads (the request's, simple-websocket's reader, Engine.IO's writer and
its ping), so one client with a thousand idle ones had the server run 4,017 threads
(bench/hostile.py ``idle``). Past the cap, a new connection from that address is
refused at the handshake (HTTP 401); the browser's Socket.IO client retries later
by itself. A page holds one connection for all its namespaces, so the default (240)
is twice what a classroom of 30 behind one NAT address opens with four tabs each.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from course.web.fair import address_of

DEFAULT = 240


class Sockets:
    """The open connections by address; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count: Counter[str] = Counter()
        self.address: dict[str, str] = {}  # Engine.IO sid → its address

    def enter(self, sid: str, address: str, cap: int) -> bool:
        with self.lock:
            if self.count[address] >= cap:
                return False
            self.count[address] += 1
            self.address[sid] = address
            return True

    def leave(self, sid: str) -> None:
        with self.lock:
            address = self.address.pop(sid, None)
            if address is not None:
                self.count[address] -= 1
                if not self.count[address]:
                    del self.count[address]


def install(server: Any) -> None:
    """Count ``server``'s (a ``socketio.Server``'s) connections by address and refuse
    one past the cap of the app behind it (tests build several apps on one server)."""
    connect, disconnect = server._handle_eio_connect, server._handle_eio_disconnect

    def sockets_of(environ: dict[str, Any]) -> tuple[Any, Sockets | None]:
        app = environ.get("flask.app")
        if app is None:
            return None, None
        return app, app.extensions.setdefault("sockets_by_address", Sockets())

    def handle_connect(sid: str, environ: dict[str, Any]) -> Any:
        app, sockets = sockets_of(environ)
        if app is not None and sockets is not None:
            address = address_of(environ, int(app.config.get("PROXIES", 0) or 0))
            cap = int(app.config.get("MAX_SOCKETS_PER_ADDRESS", DEFAULT))
            if not sockets.enter(sid, address, cap):
                return False  # Engine.IO answers 401 and keeps nothing
        return connect(sid, environ)

    def handle_disconnect(sid: str, reason: Any = None) -> Any:
        _, sockets = sockets_of(server.environ.get(sid) or {})
        try:
            return disconnect(sid, reason)
        finally:
            if sockets is not None:
                sockets.leave(sid)

    # Engine.IO's own handlers, so only real transports count (Flask-SocketIO's test
    # client calls the server's methods, and never disconnects at this level).
    server.eio.on("connect", handle_connect)
    server.eio.on("disconnect", handle_disconnect)
