"""Websockets that read no faster than the server handles them: a bounded inbox.

In Flask-SocketIO's threading mode each websocket is read by a thread of
simple-websocket's, which decodes every message it can and appends it to a list that
Engine.IO's reader pops from the front, one message at a time. Nothing bounds that
list. A client that sends faster than the server handles (a flooder,
``bench/hostile.py``) grows it without end: the flooded bytes pile up in the server's
memory instead of the client's socket, and each ``pop(0)`` moves the whole list, so
the server handled about 100 of a flooder's events a second (measured: 984 events in
8.4 s) while its event budget (``web.flood``) waited for the refusals that drop it,
and a bystander's step waited behind it all.

Here that list is an :class:`Inbox` of at most ``INBOX`` messages: the reading thread
waits while it is full, so the TCP window fills and the client is the one who waits
(backpressure). A message is also bounded in size while it is read
(``max_message_size``, the server's ``max_http_buffer_size``), not once it is whole.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI

from course.web import outbox

INBOX = 32  # messages read ahead of the server on one connection (a burst of clicks fits)
WAIT = 0.5  # seconds between looks at whether a full inbox's connection has closed


class Inbox:
    """A first-in first-out queue of at most ``limit`` messages; ``append`` waits for
    room (``OSError`` once ``connected()`` is false: nobody will make any). It is a
    drop-in for the list simple-websocket uses: ``append``, ``pop(0)``, truth, length."""

    def __init__(self, limit: int, connected: Callable[[], bool]) -> None:
        self.limit = limit
        self._connected = connected
        self._items: deque[Any] = deque()
        self._room = threading.Condition()

    def append(self, message: Any) -> None:
        with self._room:
            while len(self._items) >= self.limit:
                if not self._connected():
                    raise OSError("the connection closed while its inbox was full")
                self._room.wait(WAIT)
            self._items.append(message)

    def pop(self, index: int = 0) -> Any:
        if index != 0:
            raise ValueError("an inbox is read from the front only")
        with self._room:
            message = self._items.popleft()  # IndexError when empty, as list.pop
            self._room.notify()
            return message

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)


class BoundedServer(simple_websocket.Server):
    """simple-websocket's server side with an :class:`Inbox` for its input buffer."""

    def handshake(self) -> None:
        # Base.__init__ sets input_buffer to a list, then calls this, then starts the
        # reading thread: the inbox is in place before anything is read.
        self.input_buffer = Inbox(INBOX, lambda: bool(self.connected))
        super().handshake()


class BoundedWebSocketWSGI(SimpleWebSocketWSGI):  # type: ignore[misc]
    """Engine.IO's threading websocket with a :class:`BoundedServer` underneath."""

    direct = False  # messages written straight to the socket (``web.outbox``)

    def __init__(self, handler: Callable[..., Any], server: Any, **kwargs: Any) -> None:
        super().__init__(handler, server, **kwargs)
        self.max_message_size: int = server.max_http_buffer_size
        self.outbox: outbox.Outbox | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.ws = BoundedServer(environ, max_message_size=self.max_message_size)
        engine_socket = self.app.__self__  # the handler is a method of engineio's Socket
        # Only a connection opened as a websocket: an upgrade from long-polling may
        # still have messages on their way by polling.
        if self.direct and not engine_socket.connected:
            self.outbox = outbox.Outbox(self.ws.sock, engine_socket)
            outbox.CONNECTIONS[engine_socket.sid] = self.outbox
        try:
            ret = self.app(self)
        finally:
            if self.outbox is not None:
                outbox.CONNECTIONS.pop(engine_socket.sid, None)
        # As the parent does: the server must not write an HTTP response after it.
        if self.ws.mode == "gunicorn":
            raise StopIteration()
        if self.ws.mode == "werkzeug":
            raise ConnectionError()
        return ret

    def close(self) -> None:
        if self.outbox is None:
            super().close()
            return
        with self.outbox.writing:  # the close frame after any frame being written
            super().close()

    def send(self, message: Any) -> Any:
        """The connection's writer thread writes ``message`` (one at a time with direct
        writes, and counted off the outbox's queue)."""
        if self.outbox is None:
            return super().send(message)
        with self.outbox.writing:
            try:
                return super().send(message)
            finally:
                if outbox.counts(message):
                    self.outbox.written()


class DirectWebSocketWSGI(BoundedWebSocketWSGI):
    direct = True


def install(server: Any, *, direct: bool) -> None:
    """Serve ``server``'s (a ``socketio.Server``'s) websockets with bounded inboxes and,
    if ``direct``, outboxes (``web.outbox``; not with permessage-deflate, which frames
    each message per connection)."""
    websocket = DirectWebSocketWSGI if direct else BoundedWebSocketWSGI
    server.eio._async = {**server.eio._async, "websocket": websocket}
    if direct:
        outbox.install(server)
