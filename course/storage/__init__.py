"""What is kept: the database (``db``: SQLite by default, PostgreSQL by
``DATABASE_URL``, migrated with Alembic at start-up), its tables (``models``), the
reads and writes of learners' progress and quiz attempts (``records``), and
``progress``, one committed transaction per mark."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from course.storage import db

    db.init_app(app)
