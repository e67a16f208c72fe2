"""Server fixtures, in the style of Flask's tutorial: one app, an HTTP client, a /lab socket.

The app is built once per session (building it loads the lessons and Bokeh), with a
fresh JAX compilation cache so no run depends on what an earlier one compiled.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import livekit
import pytest
from databases import PostgresServer
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient

from course import create_app
from course.extensions import socketio


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    cache = tmp_path_factory.mktemp("jax-cache")
    database = tmp_path_factory.mktemp("db") / "unrolled.sqlite3"
    return create_app(
        {
            "TESTING": True,
            "COMPILATION_CACHE_DIR": str(cache),
            "DATABASE_URL": f"sqlite:///{database}",
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def lab_client(app: Flask, client: FlaskClient) -> Iterator[SocketIOTestClient]:
    """A learner's /lab connection; closed after the test so its labs (and plays) end."""
    connection = socketio.test_client(app, namespace="/lab", flask_test_client=client)
    assert connection.is_connected("/lab")
    yield connection
    if connection.is_connected("/lab"):
        connection.disconnect(namespace="/lab")


# -- live sessions (tests/livekit.py) ------------------------------------------


@pytest.fixture
def people(app: Flask) -> Iterator[list[livekit.Person]]:
    made: list[livekit.Person] = []
    yield made
    for person in made:
        person.close()


@pytest.fixture
def session_code(app: Flask) -> str:
    with app.app_context():
        lesson = app.extensions["lessons"].get(livekit.LESSON)
        return app.extensions["live"].start(lesson, "cell-walk", "teacher-1")


# -- databases (storage tests run on SQLite and on PostgreSQL) -------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the session (see tests/databases.py); started
    on first use, and a failure to start fails the tests that need it."""
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once as a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'unrolled.sqlite3'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.database()
    yield url
    server.drop(url)
