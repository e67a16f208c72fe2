"""Reading and writing learners' progress and quiz attempts.

Plain functions over a SQLAlchemy ``Session``: they never commit, except
``submit_attempt``, which runs its own transactions (it must retry on conflict).
Writes create the learner row on first use. Inserts that may race use the
dialect's ``INSERT .. ON CONFLICT`` (SQLite and PostgreSQL).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, Insert, Integer, cast, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from course.storage.db import writing
from course.storage.models import KINDS, Learner, ProgressMark, QuizAttempt, QuizReveal, utcnow

# grade(answer, attempt_no) -> (score in 0..1, correct, feedback to store and show)
Grader = Callable[[Any, int], tuple[float, bool, dict[str, Any]]]
NO_ATTEMPTS_LEFT = "no attempts left"
REVEALED = "revealed"
# The client reused a submission id from another quiz (ids are per attempt, not per quiz).
SUBMISSION_REUSED = "submission id reused"
# Each lost race means another attempt was stored, so this bounds the work even
# for unlimited quizzes hammered by one learner's many tabs.
MAX_TRIES = 20


def _insert(session: Session, model: type[Any]) -> Any:
    """``INSERT`` with ``on_conflict_do_*`` for this session's database."""
    dialects: dict[str, Callable[[Any], Insert]] = {
        "sqlite": sqlite.insert,
        "postgresql": postgresql.insert,
    }
    return dialects[session.get_bind().dialect.name](model)


def _inserted(session: Session, statement: Any) -> bool:
    """Run an ``INSERT .. ON CONFLICT`` in the session's transaction; True if it
    added a row. (RETURNING, because rowcount is unreliable once SQLAlchemy adds
    its own RETURNING for the primary key, as it does on PostgreSQL.)"""
    return session.execute(statement.returning(literal_column("1"))).first() is not None


def ensure_learner(session: Session, learner_id: str) -> None:
    """Create the learner's row if missing, and note that they were seen now."""
    now = utcnow()
    statement = _insert(session, Learner).values(id=learner_id, created_at=now, last_seen=now)
    # On PostgreSQL this also locks the learner's row until commit, so one learner's
    # concurrent writes queue here (SQLite writers queue at BEGIN IMMEDIATE).
    upsert = statement.on_conflict_do_update(index_elements=["id"], set_={"last_seen": now})
    session.execute(upsert)


def mark(
    session: Session, learner_id: str, lesson_id: str, kind: str, key: str, value: Any = None
) -> bool:
    """Record a section read, a lab run or a prediction; True if it is new.

    Recording again changes nothing: a prediction keeps the learner's first guess.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    ensure_learner(session, learner_id)
    row = dict(learner_id=learner_id, lesson_id=lesson_id, kind=kind, key=key, value=value)
    statement = _insert(session, ProgressMark).values(created_at=utcnow(), **row)
    return _inserted(session, statement.on_conflict_do_nothing())


def last_lesson(session: Session, learner_id: str) -> str | None:
    """The lesson of the learner's newest progress mark, if any."""
    newest = (
        select(ProgressMark.lesson_id)
        .where(ProgressMark.learner_id == learner_id)
        .order_by(ProgressMark.id.desc())
        .limit(1)
    )
    return session.scalar(newest)


def reveal(session: Session, learner_id: str, lesson_id: str, quiz_id: str) -> bool:
    """The learner asks for the answer, which ends their attempts; True if new."""
    ensure_learner(session, learner_id)
    statement = _insert(session, QuizReveal).values(
        learner_id=learner_id, lesson_id=lesson_id, quiz_id=quiz_id, created_at=utcnow()
    )
    return _inserted(session, statement.on_conflict_do_nothing())


def revealed(session: Session, learner_id: str, lesson_id: str, quiz_id: str) -> bool:
    return session.get(QuizReveal, (learner_id, lesson_id, quiz_id)) is not None


def _same_quiz(learner_id: str, lesson_id: str, quiz_id: str) -> tuple[Any, ...]:
    return (
        QuizAttempt.learner_id == learner_id,
        QuizAttempt.lesson_id == lesson_id,
        QuizAttempt.quiz_id == quiz_id,
    )


def attempts(session: Session, learner_id: str, lesson_id: str, quiz_id: str) -> list[QuizAttempt]:
    """The learner's attempts at one quiz, first first."""
    query = (
        select(QuizAttempt)
        .where(*_same_quiz(learner_id, lesson_id, quiz_id))
        .order_by(QuizAttempt.attempt_no)
    )
    return list(session.scalars(query))


def progress(session: Session, learner_id: str) -> dict[str, dict[str, Any]]:
    """Everything the learner has done, by lesson:
    ``{sections: [...], labs: [...], predictions: {key: value},
    quizzes: {quiz_id: {attempts, best_score, correct, revealed}}}``, lists in the
    order they were first done."""
    lessons: dict[str, dict[str, Any]] = {}

    def lesson(lesson_id: str) -> dict[str, Any]:
        empty: dict[str, Any] = {"sections": [], "labs": [], "predictions": {}, "quizzes": {}}
        return lessons.setdefault(lesson_id, empty)

    def quiz(lesson_id: str, quiz_id: str) -> dict[str, Any]:
        empty = {"attempts": 0, "best_score": None, "correct": False, "revealed": False}
        quizzes: dict[str, Any] = lesson(lesson_id)["quizzes"]
        return quizzes.setdefault(quiz_id, empty)

    marks = (
        select(ProgressMark).where(ProgressMark.learner_id == learner_id).order_by(ProgressMark.id)
    )
    for m in session.scalars(marks):
        if m.kind == "predict":
            lesson(m.lesson_id)["predictions"][m.key] = m.value
        else:
            lesson(m.lesson_id)[m.kind + "s"].append(m.key)
    per_quiz = (
        select(
            QuizAttempt.lesson_id,
            QuizAttempt.quiz_id,
            func.count(),
            func.max(QuizAttempt.score),
            # max() over a boolean is not portable; over 0/1 it is.
            func.max(cast(QuizAttempt.correct, Integer)),
        )
        .where(QuizAttempt.learner_id == learner_id)
        .group_by(QuizAttempt.lesson_id, QuizAttempt.quiz_id)
    )
    for lesson_id, quiz_id, count, best, correct in session.execute(per_quiz):
        quiz(lesson_id, quiz_id).update(attempts=count, best_score=best, correct=bool(correct))
    for r in session.scalars(select(QuizReveal).where(QuizReveal.learner_id == learner_id)):
        quiz(r.lesson_id, r.quiz_id)["revealed"] = True
    return lessons


@dataclass(frozen=True)
class Outcome:
    """What a submission came to: a stored attempt (new or ``replayed``) or a refusal."""

    attempt_no: int | None = None
    attempts_left: int | None = None  # None: unlimited
    score: float | None = None
    correct: bool | None = None
    graded: dict[str, Any] | None = None
    replayed: bool = False
    refused: str | None = None  # NO_ATTEMPTS_LEFT, REVEALED or SUBMISSION_REUSED

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _left(max_attempts: int | None, used: int) -> int | None:
    return None if max_attempts is None else max(0, max_attempts - used)


def submit_attempt(
    sessions: sessionmaker[Session] | Engine,
    learner_id: str,
    lesson_id: str,
    quiz_id: str,
    submission_id: str,
    answer: Any,
    max_attempts: int | None,
    grade: Grader,
) -> Outcome:
    """Grade and store one attempt, exactly once per ``submission_id``.

    A repeated ``submission_id`` returns the stored outcome (``replayed``) without
    grading again. A learner who has revealed the answer or used ``max_attempts``
    is refused and nothing is stored. Safe under concurrent submits: writers for
    one learner take turns (``BEGIN IMMEDIATE`` on SQLite, the learner's row lock on
    PostgreSQL), and should two still count the same attempts, the unique attempt
    number fails the later insert, which is retried with fresh counts.
    ``grade`` runs inside the write transaction: it must be quick and pure; if it
    raises, nothing is stored and the error propagates.
    """
    factory = sessions if isinstance(sessions, sessionmaker) else sessionmaker(sessions)
    for tries in range(MAX_TRIES):
        try:
            with writing(factory) as session:
                return _submit(
                    session,
                    learner_id,
                    lesson_id,
                    quiz_id,
                    submission_id,
                    answer,
                    max_attempts,
                    grade,
                )
        except IntegrityError:
            time.sleep(0.001 * tries)  # someone else's attempt landed first: look again
    raise RuntimeError(f"submit_attempt lost {MAX_TRIES} races in a row")


def _submit(
    session: Session,
    learner_id: str,
    lesson_id: str,
    quiz_id: str,
    submission_id: str,
    answer: Any,
    max_attempts: int | None,
    grade: Grader,
) -> Outcome:
    ensure_learner(session, learner_id)
    this_quiz = _same_quiz(learner_id, lesson_id, quiz_id)
    used = session.scalar(select(func.count(QuizAttempt.id)).where(*this_quiz)) or 0
    same = select(QuizAttempt).where(
        QuizAttempt.learner_id == learner_id, QuizAttempt.submission_id == submission_id
    )
    if (stored := session.scalar(same)) is not None:
        if (stored.lesson_id, stored.quiz_id) != (lesson_id, quiz_id):
            return Outcome(refused=SUBMISSION_REUSED)
        return Outcome(
            stored.attempt_no,
            _left(max_attempts, used),
            stored.score,
            stored.correct,
            stored.graded,
            replayed=True,
        )
    if revealed(session, learner_id, lesson_id, quiz_id):
        return Outcome(attempts_left=0, refused=REVEALED)
    if max_attempts is not None and used >= max_attempts:
        return Outcome(attempts_left=0, refused=NO_ATTEMPTS_LEFT)
    attempt_no = used + 1
    score, correct, graded = grade(answer, attempt_no)
    attempt = QuizAttempt(
        attempt_no=attempt_no,
        submission_id=submission_id,
        answer=answer,
        score=float(score),
        correct=bool(correct),
        graded=graded,
        learner_id=learner_id,
        lesson_id=lesson_id,
        quiz_id=quiz_id,
    )
    session.add(attempt)
    session.flush()  # a lost race raises here, inside the retry loop
    return Outcome(attempt_no, _left(max_attempts, attempt_no), attempt.score, correct, graded)
