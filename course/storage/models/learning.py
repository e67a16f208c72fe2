"""Learners, their progress marks and their quiz attempts and reveals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from course.storage.models.base import Base, new_learner_id, utcnow

KINDS = ("section", "lab", "predict")


class Learner(Base):
    """A pseudonymous learner, known by the random id in their signed cookie."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_learner_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the learner signs in (accounts arrive in a later issue, with the FK).
    account_id: Mapped[int | None] = mapped_column(Integer, index=True)


class ProgressMark(Base):
    """One thing a learner did in a lesson: read a section, ran a lab, made a prediction."""

    __tablename__ = "progress_marks"
    __table_args__ = (
        UniqueConstraint("learner_id", "lesson_id", "kind", "key"),
        CheckConstraint(f"kind IN {KINDS!r}", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    # SQL NULL when absent, not the JSON literal null.
    value: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizAttempt(Base):
    """A graded submission; the two unique keys make submission idempotent and the
    attempt limit impossible to exceed, even under concurrent submits."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("learner_id", "submission_id"),
        UniqueConstraint("learner_id", "lesson_id", "quiz_id", "attempt_no"),
        CheckConstraint("attempt_no >= 1", name="attempt_no"),
        CheckConstraint("score >= 0 AND score <= 1", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"))
    lesson_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    attempt_no: Mapped[int]
    submission_id: Mapped[str] = mapped_column(String(64))
    answer: Mapped[Any] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column(Boolean)
    # The feedback as computed at grading time, replayed verbatim on a resubmit.
    graded: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuizReveal(Base):
    """The learner chose to see the answer; no attempts after this."""

    __tablename__ = "quiz_reveals"

    learner_id: Mapped[str] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    quiz_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
