"""What a class's students did, read once for the gradebook and its statistics: their
progress marks and quiz attempts in the assigned lessons, revealed answers, live
votes, and when each was last active anywhere in the course."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from course.storage.models import Enrollment, ProgressMark, QuizAttempt, QuizReveal
from course.teach.livevotes import PollVote, class_votes


@dataclass(frozen=True)
class Attempt:
    number: int
    score: float  # 0…1 of the question's points
    correct: bool
    answer: Any
    at: datetime


@dataclass
class Activity:
    """Keyed by learner id, then lesson id (and question or mark key)."""

    # (learner, lesson, kind) → key → (first done, value)
    marks: dict[tuple[str, str, str], dict[str, tuple[datetime, Any]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    # (learner, lesson, quiz) → attempts, first first
    attempts: dict[tuple[str, str, str], list[Attempt]] = field(
        default_factory=lambda: defaultdict(list)
    )
    revealed: set[tuple[str, str, str]] = field(default_factory=set)
    last: dict[str, datetime] = field(default_factory=dict)  # learner → last activity
    votes: list[PollVote] = field(default_factory=list)


def read(
    session: Session, class_id: int, students: list[Enrollment], lesson_ids: list[str]
) -> Activity:
    found = Activity()
    learners = [s.learner_id for s in students]
    found.votes = class_votes(session, class_id)
    if not learners:
        return found
    if lesson_ids:
        marks = select(ProgressMark).where(
            ProgressMark.learner_id.in_(learners), ProgressMark.lesson_id.in_(lesson_ids)
        )
        for m in session.scalars(marks):
            found.marks[(m.learner_id, m.lesson_id, m.kind)][m.key] = (m.created_at, m.value)
        attempts = (
            select(QuizAttempt)
            .where(QuizAttempt.learner_id.in_(learners), QuizAttempt.lesson_id.in_(lesson_ids))
            .order_by(QuizAttempt.attempt_no)
        )
        for a in session.scalars(attempts):
            key = (a.learner_id, a.lesson_id, a.quiz_id)
            found.attempts[key].append(
                Attempt(a.attempt_no, float(a.score), bool(a.correct), a.answer, a.created_at)
            )
        reveals = select(QuizReveal.learner_id, QuizReveal.lesson_id, QuizReveal.quiz_id).where(
            QuizReveal.learner_id.in_(learners), QuizReveal.lesson_id.in_(lesson_ids)
        )
        found.revealed = {(who, lesson, quiz) for who, lesson, quiz in session.execute(reveals)}
    for table in (ProgressMark, QuizAttempt, QuizReveal):
        latest = (
            select(table.learner_id, func.max(table.created_at))
            .where(table.learner_id.in_(learners))
            .group_by(table.learner_id)
        )
        for who, at in session.execute(latest):
            _later(found.last, who, _aware(at))
    for vote in found.votes:
        _later(found.last, vote.learner_id, vote.at)
    return found


def _later(last: dict[str, datetime], who: str, at: datetime | None) -> None:
    if at is not None and (who not in last or at > last[who]):
        last[who] = at


def _aware(at: Any) -> datetime | None:
    """max() over a column skips the UTC type's conversion: make it aware again."""
    if at is None:
        return None
    if isinstance(at, str):  # SQLite returns the stored text
        at = datetime.fromisoformat(at)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
