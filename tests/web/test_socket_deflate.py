"""Websockets are made without permessage-deflate, though browsers offer it: the
server would compress every message once per connection (course/web/deflate.py)."""

from __future__ import annotations

import base64
import os
import socket
from pathlib import Path

import pytest
from servers import CourseServer

SECRET = "socket-deflate-secret-of-32-characters-or-more"
OFFER = "permessage-deflate; client_max_window_bits"  # what Chromium sends


def handshake(port: int) -> str:
    """The head of the server's answer to a browser-like websocket upgrade."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Extensions: {OFFER}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    return head.split(b"\r\n\r\n")[0].decode("latin-1")


@pytest.mark.parametrize("deflate", [False, True], ids=["default", "configured-on"])
def test_a_browser_offering_deflate_gets_a_plain_websocket_unless_configured(
    tmp_path: Path, deflate: bool
) -> None:
    env = {
        "UNROLLED_SECRET_KEY": SECRET,
        "UNROLLED_DATABASE_URL": f"sqlite:///{tmp_path / 'unrolled.sqlite3'}",
    }
    if deflate:
        env["UNROLLED_SOCKET_DEFLATE"] = "true"
    server = CourseServer(env, tmp_path / "server.log")
    try:
        head = handshake(server.port)
    finally:
        server.stop()
    assert head.startswith("HTTP/1.1 101")
    assert ("permessage-deflate" in head.lower()) is deflate
