"""A flooder the server drops is cut off at once: its TCP connection is shut, so the
server stops reading what it keeps sending (course/web/flood.py ``cut``). Engine.IO's
own disconnect only sends a close frame, which a flooder never reads."""

from __future__ import annotations

import socket

from course.web.flood import cut


def test_cut_shuts_the_connection_behind_a_socket_s_environ() -> None:
    server_side, client_side = socket.socketpair()
    with server_side, client_side:
        cut({"werkzeug.socket": server_side})
        client_side.settimeout(30)
        assert client_side.recv(1) == b""  # the flooder sees the connection end
        cut({"werkzeug.socket": server_side})  # cutting twice changes nothing
        cut({})  # a connection with no socket of its own (long-polling) is left alone
