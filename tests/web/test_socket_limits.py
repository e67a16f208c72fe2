"""The socket edge under a hostile client (issue 17): extra arguments answered, an
event flood refused then disconnected, live-session codes not guessable, an
instructor's socket only from the site's own pages, presence names without control
characters."""

from __future__ import annotations

from collections.abc import Iterator

import livekit
import pytest
import socketkit
from flask import Flask
from socketkit import Socket, ask, refused

from course.web import flood
from course.web.flood import EventBudget
from course.web.ratelimit import RateLimiter

WIDGETS = {"/lab": "lab", "/playground": "playground", "/task": "task"}


@pytest.fixture
def closing() -> Iterator[list[Socket]]:
    opened: list[Socket] = []
    yield opened
    for sock in opened:
        sock.close()


@pytest.fixture
def budget(app: Flask, monkeypatch) -> EventBudget:
    """A fresh event budget for a flood test: its strikes end with the test, instead
    of slowing the session's app for every test after it."""
    fresh = EventBudget()
    monkeypatch.setitem(app.extensions, "event_budget", fresh)
    return fresh


@pytest.mark.parametrize("namespace", ["/lab", "/playground", "/task", "/live"])
def test_an_event_with_an_extra_argument_is_answered_and_changes_nothing(socket, namespace):
    sock = socket(namespace)
    payload = {"code": "ABCDEF"} if namespace == "/live" else {WIDGETS[namespace]: "x"}
    event = "sync" if namespace == "/live" else "reset"
    ack = sock.connection.emit(event, payload, "extra", namespace=namespace, callback=True)
    assert ack is not None and ack["ok"] is False, ack
    assert ack["error"]["code"] == "extra_arguments"
    # the connection still answers
    assert ask(sock, event, payload)["error"]["code"] in (
        "no_lab",
        "no_playground",
        "no_task",
        "not_joined",
    )


def test_an_event_flood_is_refused_then_disconnected(app: Flask, socket, monkeypatch, budget):
    monkeypatch.setitem(app.config, "SOCKET_EVENT_RATE", "5/600")  # 5 at once, then 1 per 2 min
    monkeypatch.setitem(app.config, "SOCKET_FLOOD_REFUSALS", 3)
    flooder, bystander = socket("/lab"), socket("/lab", app.test_client())
    for _ in range(5):
        assert refused(flooder, "pause", {"lab": "x"})["code"] == "no_lab"
    error = refused(flooder, "pause", {"lab": "x"})
    assert error["code"] == "too_many_events" and "a second on one connection" in error["message"]
    refused(flooder, "pause", {"lab": "x"})
    ask(flooder, "pause", {"lab": "x"})  # the third refusal in a row: disconnected
    assert not flooder.connection.is_connected("/lab")
    assert refused(bystander, "pause", {"lab": "x"})["code"] == "no_lab"  # others unaffected


def test_a_flooders_address_reconnects_without_the_burst(app: Flask, monkeypatch, closing, budget):
    """Dropped for flooding, the address has a strike: its next connection gets the
    struck burst (and as many refusals) instead of the full ones; others do not."""
    monkeypatch.setitem(app.config, "PROXIES", 1)
    monkeypatch.setitem(app.config, "SOCKET_EVENT_RATE", "8/800")  # 8 at once, 1 per 100 s
    monkeypatch.setitem(app.config, "SOCKET_FLOOD_REFUSALS", 8)
    monkeypatch.setitem(app.config, "SOCKET_STRUCK_BURST", 2)

    def from_address(address: str) -> Socket:
        sock = socketkit.connect(app, "/lab", app.test_client(), {"X-Forwarded-For": address})
        closing.append(sock)
        return sock

    def allowed(sock: Socket) -> int:
        """Events answered before the first too_many_events."""
        for n in range(20):
            if ask(sock, "pause", {"lab": "x"})["error"]["code"] == "too_many_events":
                return n
        return 20

    flooder = from_address("203.0.113.5")
    assert allowed(flooder) == 8
    for _ in range(7):  # refusals in a row: the eighth drops the connection
        ask(flooder, "pause", {"lab": "x"})
    assert not flooder.connection.is_connected("/lab")
    again = from_address("203.0.113.5")
    assert allowed(again) == 2
    assert "at most 2 at once" in ask(again, "pause", {"lab": "x"})["error"]["message"]
    assert allowed(from_address("198.51.100.5")) == 8  # another address: the full burst


def test_a_flooder_back_for_more_is_held_unread_before_it_is_dropped(
    app: Flask, monkeypatch, closing, budget
):
    """Dropped once, its address struck: a connection from it that floods again is not
    read for SOCKET_FLOOD_HOLD_SECONDS before the cut, so it cannot reconnect at once."""
    monkeypatch.setitem(app.config, "PROXIES", 1)
    monkeypatch.setitem(app.config, "SOCKET_EVENT_RATE", "4/400")
    monkeypatch.setitem(app.config, "SOCKET_FLOOD_REFUSALS", 4)
    monkeypatch.setitem(app.config, "SOCKET_STRUCK_BURST", 2)
    monkeypatch.setitem(app.config, "SOCKET_FLOOD_HOLD_SECONDS", 7.5)
    held: list[float] = []
    monkeypatch.setattr(flood, "hold", held.append)

    def flood_until_dropped() -> None:
        sock = socketkit.connect(app, "/lab", app.test_client(), {"X-Forwarded-For": "203.0.113.9"})
        closing.append(sock)
        for _ in range(12):
            ask(sock, "pause", {"lab": "x"})
            if not sock.connection.is_connected("/lab"):
                return
        raise AssertionError("the flooder was not dropped")

    flood_until_dropped()
    assert held == []  # a first flood is cut at once
    flood_until_dropped()
    assert held == [7.5]  # back for more: held unread first


def test_session_codes_cannot_be_guessed_over_one_connection(app, people, session_code):
    guesser = livekit.Person(app)
    people.append(guesser)
    wrong = [c for c in ("AAAAAA", "BBBBBB") if c != session_code][0]
    for _ in range(10):
        assert guesser.call("join", {"code": wrong, "name": "G"})["error"]["code"] == "not_found"
    error = guesser.call("join", {"code": session_code, "name": "G"})["error"]
    assert error["code"] == "too_many_codes" and error["field"] == "code"
    livekit.student(app, people, session_code, "Honest")  # another connection joins


def test_session_codes_cannot_be_guessed_from_one_address(
    app, people, session_code, closing, monkeypatch
):
    monkeypatch.setitem(app.config, "PROXIES", 1)
    monkeypatch.setitem(app.extensions["ratelimit"], "live_code_address", RateLimiter(3, 600))

    def from_address(address: str) -> Socket:
        client = app.test_client()
        client.get(f"/lessons/{livekit.LESSON}")
        sock = socketkit.connect(app, "/live", client, {"X-Forwarded-For": address})
        closing.append(sock)
        return sock

    for _ in range(3):  # fresh connections do not reset the count
        assert ask(from_address("203.0.113.7"), "join", {"code": "ZZZZZZ"})["ok"] is False
    error = ask(from_address("203.0.113.7"), "join", {"code": session_code})["error"]
    assert error["code"] == "too_many_codes" and "network address" in error["message"]
    assert ask(from_address("198.51.100.7"), "join", {"code": session_code})["ok"] is True


def test_a_class_behind_one_address_joins_however_many_students(
    app, people, session_code, closing, monkeypatch
):
    """Only unknown codes count against an address: a school's NAT is not a guesser."""
    monkeypatch.setitem(app.config, "PROXIES", 1)
    monkeypatch.setitem(app.extensions["ratelimit"], "live_code_address", RateLimiter(3, 600))
    for _ in range(6):
        client = app.test_client()
        client.get(f"/lessons/{livekit.LESSON}")
        sock = socketkit.connect(app, "/live", client, {"X-Forwarded-For": "203.0.113.9"})
        closing.append(sock)
        assert ask(sock, "join", {"code": session_code})["ok"] is True


def test_an_instructor_socket_from_another_origin_is_refused(app, people, monkeypatch):
    teacher = livekit.Person(app, instructor=livekit.instructor(app, "teacher-1"))
    people.append(teacher)
    monkeypatch.setitem(app.config, "SOCKET_ORIGINS", "*")  # even when any page may connect
    for origin in ("http://evil.example", "null", "http://localhost:8081"):
        for namespace in ("/live", "/lab"):
            headers = {"Origin": origin}
            assert socketkit.try_connect(app, namespace, teacher.client, headers) is None, origin
    own = socketkit.try_connect(app, "/live", teacher.client, {"Origin": "http://localhost"})
    assert own is not None
    own.close()
    learner = app.test_client()  # a learner's socket is the engine.io check's to judge
    other = socketkit.try_connect(app, "/lab", learner, {"Origin": "http://evil.example"})
    assert other is not None
    other.close()


def test_presence_names_carry_no_control_characters(app, people, session_code):
    teacher = livekit.presenter(app, people, session_code)
    livekit.student(app, people, session_code, "Ana\u202e\x07\u200b Lovelace\n")
    livekit.student(app, people, session_code, "\u200b\x1b")
    presence = teacher.call("join", {"code": session_code})["presence"]
    assert sorted(presence) == ["Ana Lovelace", "Anonymous"]
