"""Whether this server can serve: ``/healthz`` (for people and monitors: what is
down, by name) and ``/readyz`` (for a proxy: send traffic here or not). Both answer
503 naming each dependency that does not answer: the database, and Redis (live
sessions, the message queue, shared rate limits) when ``REDIS_URL`` is set."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from course.storage import db

log = logging.getLogger(__name__)


def checks() -> dict[str, str]:
    """Each dependency → "ok" or what went wrong."""
    found: dict[str, str] = {}
    try:
        with db.engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        found["database"] = "ok"
    except Exception as error:
        found["database"] = f"down: {type(error).__name__}"
    if current_app.config.get("REDIS_URL"):
        try:
            current_app.extensions["live_store"].ping()
            found["redis"] = "ok"
        except Exception as error:
            found["redis"] = f"down: {type(error).__name__}"
    return found


def response(**extra: Any) -> ResponseReturnValue:
    found = checks()
    down = sorted(name for name, status in found.items() if status != "ok")
    if down:
        log.warning("health: %s down", ", ".join(down))
    body = {"status": "unavailable" if down else "ok", "down": down, "checks": found} | extra
    return jsonify(body), 503 if down else 200
