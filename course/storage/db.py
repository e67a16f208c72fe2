"""The database: one SQLAlchemy engine per app, migrated to head at start-up.

The URL comes from ``DATABASE_URL`` in the app's config (env ``UNROLLED_DATABASE_URL``),
else the ``DATABASE_URL`` environment variable, else SQLite in the instance folder.
SQLite connections get WAL, a busy timeout and foreign keys; PostgreSQL goes
through psycopg 3.

Reads use ``get_session()`` (one per app context, closed at teardown). Writes go
through ``with transaction() as session:`` (or ``writing(factory)``): on SQLite it
starts with ``BEGIN IMMEDIATE``, so writers queue instead of failing when a read turns
into a write, and it commits before the block ends, so a caller acknowledges a write
only once it is durable.

On SQLite the writers of one process also take turns on a lock of their own before
they begin. SQLite's busy handler makes a waiting writer sleep and retry (up to
100 ms a time), so under a burst (500 students joining a live session, two writes
each) a writer could be overtaken again and again until its 5 s busy timeout failed
it, and the join's attendance was lost; the lock wakes the next writer as soon as the
last one commits. The busy timeout still arbitrates between processes.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000
# How long a SQLite writer waits for its process's turn before it joins SQLite's own
# queue (where the busy timeout applies): far longer than any burst of a class.
TURN_TIMEOUT_S = 15.0
# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
WRITE = "unrolled_write"
# Key of the PostgreSQL advisory lock that serialises start-up migrations.
MIGRATION_LOCK = 0x756E726F6C6C


def database_url(app: Flask) -> str:
    """Where this app's data live (see the module docstring for the order)."""
    configured = app.config.get("DATABASE_URL") or os.environ.get("DATABASE_URL")
    if configured:
        return str(configured)
    return f"sqlite:///{Path(app.instance_path) / 'unrolled.sqlite3'}"


def normalise_url(url: str | URL) -> URL:
    """PostgreSQL always through psycopg 3 (``postgres://`` and ``postgresql://`` alike)."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def dumps_json(value: Any) -> str:
    """A JSON column's text, by orjson: a live session's stored view (tens of KB, on
    every step) took the json module 2 ms; NaN and infinities are written as null."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine with our per-connection settings; ``options`` go to ``create_engine``."""
    options = {"json_serializer": dumps_json} | options
    parsed = normalise_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **options)
    engine = create_engine(parsed, **options)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, record: Any) -> None:
        # Take BEGIN away from the sqlite3 module (it skips it before SELECTs and DDL,
        # breaking isolation and transactional migrations); we emit it in on_begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL (a setting stored in the file, so once is enough).

    Two processes opening a new file at once can make the switch fail with "database
    is locked" at once, without the busy timeout; retry within the same budget."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without an ini file; ``env.py`` uses ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``; a no-op when already there.

    One transaction holds the write lock throughout (BEGIN IMMEDIATE on SQLite, an
    advisory lock on PostgreSQL), so two processes starting at once take turns.
    """
    with engine.connect() as connection:
        connection.execution_options(**{WRITE: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            command.upgrade(alembic_config(connection), revision)


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a write (call before its first query)."""
    session.connection(execution_options={WRITE: True})


def init_app(app: Flask) -> None:
    """Create the engine, migrate, and register ``sessionmaker`` as ``app.extensions["db"]``."""
    engine = make_engine(database_url(app))
    upgrade(engine)
    app.extensions["db"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(close_session)


def sessions(app: Flask | None = None) -> sessionmaker[Session]:
    """The app's session factory."""
    factory: sessionmaker[Session] = (app or current_app).extensions["db"]
    return factory


def engine(app: Flask | None = None) -> Engine:
    bind = sessions(app).kw["bind"]
    assert isinstance(bind, Engine)
    return bind


def get_session() -> Session:
    """This app context's session, for reads; closed (and rolled back) at teardown."""
    if "db_session" not in g:
        g.db_session = sessions()()
    session: Session = g.db_session
    return session


def close_session(error: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def transaction(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A fresh session in a write transaction, committed when the block ends
    (rolled back if it raises). ``factory`` defaults to the current app's."""
    with writing(factory or sessions()) as session:
        yield session


@contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Session]:
    """``transaction`` with a given session factory."""
    with _turn(factory.kw["bind"]), factory() as session, session.begin():
        begin_write(session)
        yield session


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


@contextmanager
def _turn(bind: Any) -> Iterator[None]:
    """This process's turn to write to a SQLite database (see the module docstring);
    nothing on other databases. A writer that waits past ``TURN_TIMEOUT_S`` goes on to
    SQLite's own queue rather than wait for ever."""
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        yield
        return
    with _WRITERS_LOCK:
        lock = _WRITERS.setdefault(bind, threading.Lock())
    held = lock.acquire(timeout=TURN_TIMEOUT_S)
    try:
        yield
    finally:
        if held:
            lock.release()


def dispose(app: Flask) -> None:
    """Close the app's pooled connections (before deleting or replacing the database)."""
    engine(app).dispose()
