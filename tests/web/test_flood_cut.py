"""A flooder dropped by the server is cut off at once: its connection breaks while it
is still sending, instead of the server reading and decoding all it sends while a
close handshake it never answers waits (course/web/flood.py ``cut``)."""

from __future__ import annotations

import json
from pathlib import Path

import websocket
from servers import CourseServer, signed_cookie

SECRET = "flood-cut-secret-of-32-characters-or-more"
CAP = 200_000  # events: far past the 240 refused before a drop and the sockets' buffers


def test_a_dropped_flooder_s_connection_breaks_while_it_sends(tmp_path: Path) -> None:
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp_path / 'unrolled.sqlite3'}",
    }
    server = CourseServer(env, tmp_path / "server.log")
    try:
        cookie = signed_cookie(SECRET, {"learner": "flooder"})
        ws = websocket.create_connection(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
            header=[f"Cookie: session={cookie}"],
            timeout=120,
        )
        assert ws.recv().startswith("0")
        ws.send("40/lab,")
        assert ws.recv().startswith("40/lab,")
        event = "42/lab," + json.dumps(["pause", {"lab": "nothing"}])
        sent, broke = 0, False
        while sent < CAP and not broke:
            try:
                ws.send(event)
                sent += 1
            except (OSError, websocket.WebSocketException):
                broke = True
        ws.close()
    finally:
        server.stop()
    assert broke, f"{sent} events sent and the connection still open"
