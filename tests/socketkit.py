"""Talking to a Socket.IO namespace as the browser does, for /lab, /playground, /task
and /live alike: emit with an ack, whose reply must be valid JSON for a browser, and
read what the server pushed. The ``socket`` fixture (conftest) opens these."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient

from course.extensions import socketio

ERROR = {"code", "message", "field"}


class Socket:
    """One browser's connection to one namespace (``connection`` is Flask-SocketIO's test
    client, for what ``ask`` and ``pushed`` do not cover)."""

    def __init__(self, connection: SocketIOTestClient, namespace: str) -> None:
        self.connection = connection
        self.namespace = namespace

    def close(self) -> None:
        """Close the page: the server ends what this connection opened."""
        if self.connection.is_connected(self.namespace):
            self.connection.disconnect(namespace=self.namespace)

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def test_client(app: Flask, **options: Any) -> SocketIOTestClient:
    """Flask-SocketIO's test client of ``app``. Every ``create_app`` points the shared
    ``socketio`` extension at its own server; this points it back at ``app``'s, so a
    test of the session's app after one that built its own talks to the right one."""
    socketio.server = app.extensions["socketio_server"]
    return socketio.test_client(app, **options)


def connect(
    app: Flask, namespace: str, browser: FlaskClient, headers: dict[str, str] | None = None
) -> Socket:
    """Connect to ``namespace`` with ``browser``'s cookies (its learner id, maybe a login)
    and ``headers`` (e.g. the ``X-Forwarded-For`` a proxy adds)."""
    connection = test_client(app, namespace=namespace, flask_test_client=browser, headers=headers)
    assert connection.is_connected(namespace)
    return Socket(connection, namespace)


def try_connect(
    app: Flask, namespace: str, browser: FlaskClient, headers: dict[str, str] | None = None
) -> Socket | None:
    """Connect as ``connect`` does; None if the server refused the connection."""
    connection = test_client(app, namespace=namespace, flask_test_client=browser, headers=headers)
    return Socket(connection, namespace) if connection.is_connected(namespace) else None


def ask(sock: Socket, event: str, payload: Any = None) -> dict[str, Any]:
    """Emit with an ack, as the browser does; the reply must be valid JSON for a browser."""
    ack = sock.connection.emit(event, payload, namespace=sock.namespace, callback=True)
    json.dumps(ack, allow_nan=False)
    return ack


def ok(sock: Socket, event: str, payload: Any = None) -> dict[str, Any]:
    """Ask, and the server must have done it."""
    ack = ask(sock, event, payload)
    assert ack["ok"] is True, ack
    return ack


def refused(sock: Socket, event: str, payload: Any = None) -> dict[str, Any]:
    """Ask, and the server must have refused, saying why and which field: the error."""
    ack = ask(sock, event, payload)
    assert ack["ok"] is False and set(ack["error"]) == ERROR, ack
    return ack["error"]


def pushed(sock: Socket) -> list[dict[str, Any]]:
    """What the server pushed since the last look (``{"name", "args", …}`` each), every
    one valid JSON for a browser."""
    events = sock.connection.get_received(sock.namespace)
    for event in events:
        json.dumps(event["args"], allow_nan=False)
    return events
