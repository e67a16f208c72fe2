"""One client address holds at most MAX_SOCKETS_PER_ADDRESS Socket.IO connections,
namespaces or none (course/web/per_address.py): past it the handshake is refused, and
a connection closed frees its place. Through a served process, with real websockets."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import websocket
from servers import CourseServer

SECRET = "sockets-per-address-secret-of-32-characters"


def open_socket(url: str, address: str) -> websocket.WebSocket:
    ws = websocket.create_connection(
        url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
        header=[f"X-Forwarded-For: {address}"],
        timeout=30,
    )
    assert ws.recv().startswith("0")  # Engine.IO's open packet
    return ws


def test_one_address_holds_at_most_its_sockets_and_a_closed_one_frees_its_place(
    tmp_path: Path,
) -> None:
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp_path / 'unrolled.sqlite3'}",
        "UNROLLED_PROXIES": "1",
        "UNROLLED_MAX_SOCKETS_PER_ADDRESS": "3",
    }
    server = CourseServer(env, tmp_path / "server.log")
    held: list[websocket.WebSocket] = []
    try:
        held += [open_socket(server.url, "203.0.113.7") for _ in range(3)]
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            open_socket(server.url, "203.0.113.7")
        assert refused.value.status_code == 401
        held.append(open_socket(server.url, "198.51.100.7"))  # another address is not held back

        held.pop(0).close()
        deadline = time.monotonic() + 30  # the server sees the close on its reader thread
        while True:
            try:
                held.append(open_socket(server.url, "203.0.113.7"))
                break
            except websocket.WebSocketBadStatusException:
                assert time.monotonic() < deadline, "a closed socket never freed its place"
                time.sleep(0.1)
    finally:
        for ws in held:
            ws.close()
        server.stop()
