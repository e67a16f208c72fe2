"""A websocket is read no faster than the server handles it (course/web/inbox.py): a
client sending faster than that fills its own TCP window, not the server's memory, and
nothing it sent is lost or reordered. Before, every decoded message went into an
unbounded list (a flooder's 800,000 events in 8 s), read from the front at about
100 a second."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, Request, TextMessage

from course.web.inbox import INBOX, BoundedServer, Inbox


def environ_of(request: bytes, sock: socket.socket) -> dict[str, object]:
    """The WSGI environ a server would build from a client's upgrade request."""
    environ: dict[str, object] = {"werkzeug.socket": sock}
    for line in request.decode("latin-1").split("\r\n")[1:]:
        if ": " in line:
            name, value = line.split(": ", 1)
            environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


class Client:
    """The client side of a socket pair: wsproto, writing from a thread of its own."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.ws = sock, WSConnection(ConnectionType.CLIENT)
        self.request = self.ws.send(Request(host="127.0.0.1", target="/socket.io/"))
        self.sent = 0
        self.broken: OSError | None = None

    def accept(self) -> None:
        self.ws.receive_data(self.sock.recv(65536))
        assert any(isinstance(event, AcceptConnection) for event in self.ws.events())

    def send_all(self, messages: list[str]) -> None:
        try:
            for message in messages:
                self.sock.sendall(self.ws.send(TextMessage(data=message)))
                self.sent += 1
        except OSError as error:
            self.broken = error


@pytest.fixture
def pair() -> Iterator[tuple[BoundedServer, Client]]:
    server_side, client_side = socket.socketpair()
    # Small kernel buffers, so a client that outruns the server soon has to wait.
    for sock in (server_side, client_side):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client = Client(client_side)
    server = BoundedServer(environ_of(client.request, server_side), max_message_size=1000)
    client.accept()
    yield server, client
    for sock in (server_side, client_side):
        sock.close()


def wait_for(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_a_client_faster_than_the_server_waits_and_loses_nothing(
    pair: tuple[BoundedServer, Client],
) -> None:
    server, client = pair
    messages = [f'42/lab,["pause",{{"n":{k}}}]' for k in range(5000)]
    writer = threading.Thread(target=client.send_all, args=(messages,), daemon=True)
    writer.start()
    wait_for(lambda: len(server.input_buffer) >= INBOX, "the inbox never filled")
    time.sleep(0.2)  # the client goes on trying meanwhile
    assert len(server.input_buffer) == INBOX  # the server read no further ahead
    assert client.sent < len(messages)  # the client is the one waiting
    received = [server.receive(timeout=30) for _ in messages]
    assert received == messages  # in order, none lost
    writer.join(30)
    assert client.sent == len(messages) and client.broken is None


def test_a_connection_closed_with_a_full_inbox_frees_its_reading_thread(
    pair: tuple[BoundedServer, Client],
) -> None:
    server, client = pair
    messages = ["42/lab," + "x" * 50] * 2000
    threading.Thread(target=client.send_all, args=(messages,), daemon=True).start()
    wait_for(lambda: len(server.input_buffer) >= INBOX, "the inbox never filled")
    server.close()  # what Engine.IO does when it drops the connection
    wait_for(lambda: not server.thread.is_alive(), "the reading thread is still waiting")
    wait_for(lambda: client.broken is not None or client.sent == len(messages), "client hangs")
    assert client.sent < len(messages)  # its socket was closed under it


def test_a_message_over_the_limit_closes_the_connection_while_it_is_read(
    pair: tuple[BoundedServer, Client],
) -> None:
    server, client = pair
    client.send_all(["42/lab," + "x" * 5000])  # max_message_size is 1,000
    wait_for(lambda: not server.connected or not server.thread.is_alive(), "still open")
    assert not server.input_buffer


def test_an_inbox_is_first_in_first_out_and_waits_for_room() -> None:
    inbox = Inbox(2, connected=lambda: True)
    inbox.append("a")
    inbox.append("b")
    third = threading.Thread(target=inbox.append, args=("c",), daemon=True)
    third.start()
    third.join(0.2)
    assert third.is_alive() and len(inbox) == 2  # waiting for room
    assert inbox.pop(0) == "a"
    third.join(30)
    assert [inbox.pop(0), inbox.pop(0)] == ["b", "c"] and not inbox
    with pytest.raises(IndexError):
        inbox.pop(0)
    closed = Inbox(1, connected=lambda: False)
    closed.append("a")
    with pytest.raises(OSError):
        closed.append("b")  # full and nobody will read it
