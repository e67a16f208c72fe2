"""Server fixtures, in the style of Flask's tutorial: one app, an HTTP client, and
sockets to its namespaces (tests/socketkit.py).

The app is built once per session (building it loads the lessons and Bokeh), with a
fresh JAX compilation cache so no run depends on what an earlier one compiled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import livekit
import pytest
import socketkit
from databases import PostgresServer
from flask import Flask
from flask.testing import FlaskClient
from socketkit import Socket

from course import create_app


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    cache = tmp_path_factory.mktemp("jax-cache")
    database = tmp_path_factory.mktemp("db") / "unrolled.sqlite3"
    return create_app(
        {
            "TESTING": True,
            "COMPILATION_CACHE_DIR": str(cache),
            "DATABASE_URL": f"sqlite:///{database}",
            # every test browser is 127.0.0.1: tests of the limit set their own
            "LIVE_CODE_ADDRESS_RATE_LIMIT": "100000/60",
        }
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def socket(app: Flask, client: FlaskClient) -> Iterator[Callable[..., Socket]]:
    """Connects to a namespace: ``socket("/lab")`` as the test's learner (the ``client``
    fixture's cookies), ``socket("/lab", app.test_client())`` as another browser. Every
    connection is closed after the test, so what it opened (labs, plays) ends."""
    opened: list[Socket] = []

    def connect(namespace: str, browser: FlaskClient | None = None) -> Socket:
        sock = socketkit.connect(app, namespace, client if browser is None else browser)
        opened.append(sock)
        return sock

    yield connect
    for sock in opened:
        sock.close()


@pytest.fixture
def lab_client(socket: Callable[..., Socket]) -> Socket:
    """A learner's /lab connection."""
    return socket("/lab")


# -- live sessions (tests/livekit.py) ------------------------------------------


@pytest.fixture
def people(app: Flask) -> Iterator[list[livekit.Person]]:
    made: list[livekit.Person] = []
    yield made
    for person in made:
        person.close()


@pytest.fixture
def session_code(app: Flask) -> str:
    presenter = livekit.instructor(app, "teacher-1")  # a real account: /live checks it
    with app.app_context():
        lesson = app.extensions["lessons"].get(livekit.LESSON)
        return app.extensions["live"].start(lesson, "cell-walk", presenter)


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
