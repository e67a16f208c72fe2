"""Messages written straight to a websocket by their sender (course/web/outbox.py):
frames a websocket client reads as sent, in the order sent, never half a frame
followed by another, and nothing written past a client that has stopped reading."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from wsproto.frame_protocol import FrameDecoder, Opcode

from course.web import outbox
from course.web.outbox import Outbox, frame


def decoded(data: bytes) -> list[str]:
    """The text messages in ``data``, by wsproto's decoder (a client's reading)."""
    decoder = FrameDecoder(client=True)
    decoder.receive_bytes(data)
    messages = []
    while (f := decoder.process_buffer()) is not None:
        assert f.opcode is Opcode.TEXT and f.message_finished and f.frame_finished
        messages.append(bytes(f.payload).decode())  # the frame layer leaves text as bytes
    return messages


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 300_000])
def test_a_frame_reads_back_as_its_text(size: int) -> None:
    text = "4" + "é" * (size // 2) + "x" * (size % 2)
    assert decoded(frame(text)) == [text]


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server_side, client_side = socket.socketpair()
    for sock in (server_side, client_side):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    yield server_side, client_side
    server_side.close()
    client_side.close()


def engine_socket() -> SimpleNamespace:
    return SimpleNamespace(closed=False, check_ping_timeout=lambda: True)


def read_all(sock: socket.socket, until: int) -> bytes:
    data = b""
    sock.settimeout(30)
    while len(data) < until:
        data += sock.recv(65536)
    return data


def test_nothing_is_written_ahead_of_a_queued_message_or_a_busy_writer(pair) -> None:  # type: ignore[no-untyped-def]
    server_side, client_side = pair
    box = Outbox(server_side, engine_socket())
    first = frame("4first")
    assert box.try_direct(first)  # nothing queued: written at once
    box.queued()  # the writer thread has a message to write
    assert not box.try_direct(frame("4second")) and box.pending == 2  # after it, queued
    box.written()
    box.written()
    with box.writing:  # the writer is writing
        assert not box.try_direct(frame("4third"))
    box.written()
    assert box.try_direct(frame("4fourth"))
    assert decoded(read_all(client_side, len(first) + len(frame("4fourth")))) == [
        "4first",
        "4fourth",
    ]


def test_a_full_socket_gets_nothing_and_the_message_is_queued(pair) -> None:  # type: ignore[no-untyped-def]
    server_side, client_side = pair
    box = Outbox(server_side, engine_socket())
    sent = []
    while box.try_direct(message := frame(f"4{len(sent):06d}" + "x" * 1000)):
        sent.append(message)
    assert box.pending == 1  # the first refused one is the writer's to write
    data = read_all(client_side, sum(map(len, sent)))
    assert decoded(data) == [f"4{k:06d}" + "x" * 1000 for k in range(len(sent))]  # whole frames


def test_a_frame_is_finished_once_started(pair) -> None:  # type: ignore[no-untyped-def]
    server_side, client_side = pair
    box = Outbox(server_side, engine_socket())
    big = frame("4" + "y" * 200_000)  # more than the buffers hold: written in parts
    reader = threading.Thread(target=lambda: got.append(read_all(client_side, len(big))))
    got: list[bytes] = []
    reader.start()
    assert box.try_direct(big)
    reader.join(30)
    assert decoded(got[0]) == ["4" + "y" * 200_000]


def test_a_client_that_stops_reading_mid_frame_is_cut_off(pair, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    server_side, client_side = pair
    monkeypatch.setattr(outbox, "FINISH_SECONDS", 0.2)
    box = Outbox(server_side, engine_socket())
    started = time.monotonic()
    with pytest.raises(OSError):
        box.try_direct(frame("4" + "z" * 200_000))  # never read
    assert time.monotonic() - started < 10
    client_side.settimeout(30)
    while client_side.recv(65536):  # what was written, then the end
        pass
