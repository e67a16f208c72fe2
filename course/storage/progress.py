"""A learner's progress: recording marks and reading it back, one committed
transaction per write (a write is acknowledged only once it is durable)."""

from __future__ import annotations

from typing import Any

from course.storage import db
from course.storage import records as store


def record(learner: str, lesson_id: str, kind: str, key: str, value: Any = None) -> bool:
    """Store that ``learner`` read a section, worked a lab or made a prediction;
    True if it was new. Returns after the commit."""
    with db.transaction() as session:
        return store.mark(session, learner, lesson_id, kind, key, value)


def of(learner: str | None) -> dict[str, dict[str, Any]]:
    """Everything the learner has done, by lesson id (empty for a first visit)."""
    if learner is None:
        return {}
    with db.sessions()() as session:
        return store.progress(session, learner)


def last_lesson(learner: str | None) -> str | None:
    """The id of the lesson the learner did something in last (None on a first visit)."""
    if learner is None:
        return None
    with db.sessions()() as session:
        return store.last_lesson(session, learner)
