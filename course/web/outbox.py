"""Messages written straight to a websocket by the thread that sends them.

In Flask-SocketIO's threading mode a message to a client is put on its connection's
queue, and that connection's writer thread wakes, frames it and writes it. A live
step shown to 500 students is 500 queue puts and 500 threads woken, each taking the
interpreter lock in turn: about 0.2 ms of server CPU per student (bench/live.py),
and the presenter's own answer waits in the same line.

Here a message to a websocket that has nothing waiting is framed once (every
recipient of a room shares the packet, so the frame too) and written at once with a
non-blocking send, by the thread that emits it. Order is kept: a connection counts
the messages on its queue (``pending``), and while any is there, or while its writer
is writing, or when the client's socket is full, a message goes on the queue as
before. A frame half written when the socket fills is finished within
``FINISH_SECONDS`` or the connection is shut (the page reconnects and catches up).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
import time
from typing import Any

from engineio import packet as eio_packet

FINISH_SECONDS = 2.0


def frame(text: str) -> bytes:
    """A final, unmasked websocket text frame of ``text`` (RFC 6455 §5.2)."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


class Outbox:
    """One websocket's writes: the writer thread's and direct ones, one at a time."""

    def __init__(self, sock: socket.socket, engine_socket: Any) -> None:
        self.sock = sock
        self.engine_socket = engine_socket  # engineio's Socket (ping timeout, closing)
        self.writing = threading.Lock()  # held while anything writes to the socket
        self.counting = threading.Lock()  # guards pending; never held across I/O
        self.pending = 0  # messages on engineio's queue, not yet written

    def queued(self) -> None:
        with self.counting:
            self.pending += 1

    def written(self) -> None:
        with self.counting:
            self.pending = max(0, self.pending - 1)  # a message queued before it was counted

    def try_direct(self, data: bytes) -> bool:
        """Write ``data`` now if nothing is queued before it and the socket takes it;
        False (nothing written, counted as queued) if it must go on the queue."""
        with self.counting:
            direct = self.pending == 0 and self.writing.acquire(blocking=False)
            if not direct:
                self.pending += 1
                return False
        try:
            sent = self._send_some(data)
            if sent == 0:
                with self.counting:
                    self.pending += 1
                return False
            if sent < len(data):
                self._finish(data[sent:])
            return True
        finally:
            self.writing.release()

    def _send_some(self, data: bytes) -> int:
        if self.sock.gettimeout() is not None:  # Python would wait out the timeout
            return 0
        try:
            return self.sock.send(data, socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return 0

    def _finish(self, rest: bytes) -> None:
        deadline = time.monotonic() + FINISH_SECONDS
        while rest:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.sock], [], left)[1]:
                # A frame cut in the middle cannot be followed by anything else.
                with contextlib.suppress(OSError):
                    self.sock.shutdown(socket.SHUT_RDWR)
                raise OSError("a client too slow to take one message")
            rest = rest[self._send_some(rest) :]


CONNECTIONS: dict[str, Outbox] = {}  # engine.io sid → its websocket's outbox


def counts(message: Any) -> bool:
    """Whether the writer is writing a message packet (what ``pending`` counts)."""
    return isinstance(message, bytes) or (isinstance(message, str) and message[:1] == "4")


def install(server: Any) -> None:
    """Write ``server``'s (a ``socketio.Server``'s) messages straight to websockets."""
    eio = server.eio
    queue_packet = getattr(eio.send_packet, "__wrapped__", eio.send_packet)

    def send_packet(sid: str, pkt: Any) -> None:
        outbox = CONNECTIONS.get(sid)
        if outbox is None or pkt.packet_type != eio_packet.MESSAGE:
            return queue_packet(sid, pkt)
        if outbox.engine_socket.closed or not outbox.engine_socket.check_ping_timeout():
            return None  # as engineio's own send: a gone client gets nothing
        if pkt.binary:
            outbox.queued()
            return queue_packet(sid, pkt)
        framed = getattr(pkt, "unrolled_frame", None)
        if framed is None:
            framed = pkt.unrolled_frame = frame(pkt.encode())
        try:
            if outbox.try_direct(framed):
                return None
        except OSError:
            return None  # shut: engineio notices on its next read or write
        return queue_packet(sid, pkt)

    send_packet.__wrapped__ = queue_packet  # type: ignore[attr-defined]
    eio.send_packet = send_packet
