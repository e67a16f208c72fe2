"""Alembic environment: migrate the connection ``course.storage.db.upgrade`` hands over, or,
from the alembic command line, the database named by ``UNROLLED_DATABASE_URL`` /
``DATABASE_URL``."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from course.storage.db import make_engine
from course.storage.models import Base


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite rebuilds tables for ALTER
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    url = os.environ.get("UNROLLED_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("set UNROLLED_DATABASE_URL to the database to migrate")
    engine = make_engine(url)
    with engine.connect() as connection:
        run(connection)
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")
main()
