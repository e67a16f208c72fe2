"""What the tests of live sessions across real server processes share: a browser on
one process (its cookie and a Socket.IO client on /live), a real instructor signed in
to present, and a session started straight into the shared store (as a third server
would)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import requests
import socketio
from servers import ROOT, create_instructor, log_in

NS = "/live"


def start(store: Any, presenter: str, lesson: str = "lstm-cell", **options: Any) -> str:
    """A new session on ``lesson``'s cell-walk lab in ``store`` (a ``LiveStore``); its
    code. ``options``: ``start_session``'s (``class_id``, ``presenter_name``, …). (The
    course is imported here: bench/ scripts use this kit without it.)"""
    from course.lessons.registry import LessonRegistry
    from course.live.state import start_session

    found = LessonRegistry.load(ROOT / "lessons").get(lesson)
    return start_session(store, found, "cell-walk", presenter, **options).code


def signed_in(
    env: dict[str, str],
    url: str,
    email: str = "teacher@example.org",
    password: str = "a long enough password",
) -> tuple[str, str]:
    """A real instructor on ``env``'s database (made once, as an administrator would),
    signed in on ``url`` through the form: their id, as a session's presenter, and the
    session cookie (good on every process that shares the secret key)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(env["UNROLLED_DATABASE_URL"])
    query = text("SELECT id FROM instructors WHERE email = :email")
    try:
        with engine.connect() as connection:
            found = connection.execute(query, {"email": email}).scalar()
        if found is None:
            create_instructor(env, email, password)
            with engine.connect() as connection:
                found = connection.execute(query, {"email": email}).scalar()
    finally:
        engine.dispose()
    return str(found), log_in(url, email, password).cookies["session"]


class Peer:
    """A browser on one process: its cookie and a Socket.IO client on /live, keeping
    every pushed event."""

    def __init__(self, url: str, cookie: str | None = None) -> None:
        self.url = url
        self.http = requests.Session()
        if cookie is None:
            self.http.get(f"{url}/lessons/lstm-cell").raise_for_status()  # the learner cookie
            cookie = self.http.cookies["session"]
        self.cookie = cookie
        self.states: list[dict[str, Any]] = []
        self.events: list[tuple[str, Any]] = []
        self.got = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("state", self._state, namespace=NS)
        for name in ("presence", "presenter", "votes", "takeover"):
            self.sio.on(name, self._keeper(name), namespace=NS)
        self.sio.connect(url, headers={"Cookie": f"session={cookie}"}, namespaces=[NS],
                         transports=["websocket"])  # fmt: skip

    def _state(self, view: dict[str, Any]) -> None:
        with self.got:
            self.states.append(view)
            self.got.notify_all()

    def _keeper(self, name: str) -> Callable[[Any], None]:
        def keep(payload: Any) -> None:
            with self.got:
                self.events.append((name, payload))
                self.got.notify_all()

        return keep

    def call(self, event: str, payload: dict[str, Any], timeout: float = 90) -> dict[str, Any]:
        return self.sio.call(event, payload, namespace=NS, timeout=timeout)

    def wait_for(self, seq: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.got:
            self.got.wait_for(lambda: self.states and self.states[-1]["seq"] >= seq, timeout)
            return list(self.states)

    def pushed(self, name: str) -> list[Any]:
        with self.got:
            return [payload for event, payload in self.events if event == name]

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


def until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Ask ``check`` again and again (each ask is a round trip to a server) until it
    answers something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (last: {found!r})")
        time.sleep(0.05)
