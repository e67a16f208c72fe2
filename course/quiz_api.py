"""Quizzes over HTTP: a learner's state, submissions and reveals.

Answer keys never leave the server: the page carries ``public_view`` only, a
submission is graded here, and the reply holds what the quiz's feedback policy
allows (``visible_feedback``). Anything the client says about correctness or
score is dropped unread. Each submission carries a client-made id, so a retried
request is answered from the stored attempt instead of being counted twice.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from course.learner_api import error, lesson_or_404
from course.lessons.registry import Lesson
from course.quizzes import (
    AnswerError,
    Grade,
    LiveError,
    Quiz,
    grade,
    item_ids,
    live_value,
    public_view,
    quiz_key,
    solution,
    visible_feedback,
)
from course.storage import db
from course.storage import records as store
from course.storage.models import QuizAttempt
from course.web import ratelimit
from course.web.identity import current_learner_id

bp = Blueprint("quizzes", __name__)

SUBMISSION_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
CLAIMS = frozenset({"correct", "score", "points", "feedback"})  # ignored if a client sends them
REFUSALS = {store.NO_ATTEMPTS_LEFT: "no_attempts", store.REVEALED: "revealed",
            store.SUBMISSION_REUSED: "submission_reused"}  # fmt: skip


def quiz_or_404(lesson: Lesson, quiz_id: str) -> Quiz:
    found = lesson.quizzes.get(quiz_id)
    if found is None:
        abort(404)
    return found


def secret() -> str:
    return str(current_app.secret_key)


def views_for(lesson: Lesson, learner: str) -> dict[str, dict[str, Any]]:
    """Every quiz of the lesson as this learner may see it before answering."""
    return {
        quiz_id: public_view(
            quiz, key=quiz_key(lesson.id, quiz_id), learner=learner, secret=secret()
        )
        for quiz_id, quiz in lesson.quizzes.items()
    }


def _stored_grade(attempt: QuizAttempt, quiz: Quiz) -> Grade:
    if not quiz.graded:
        return Grade(None, None, attempt.graded or {})
    return Grade(attempt.score, attempt.correct, attempt.graded or {})


def state(lesson: Lesson, quiz: Quiz, learner: str | None) -> dict[str, Any]:
    """Where the learner stands on one quiz: attempts, their last answer and what
    they may see of its grading now."""
    empty = {"attempts_used": 0, "attempts_left": _left(quiz, 0), "revealed": False}
    if learner is None:
        return empty | {"answer": None, "feedback": None}
    with db.sessions()() as session:
        tried = store.attempts(session, learner, lesson.id, quiz.id)
        shown = store.revealed(session, learner, lesson.id, quiz.id)
    used = len(tried)
    left = 0 if shown else _left(quiz, used)
    out = {"attempts_used": used, "attempts_left": left, "revealed": shown}
    if not tried:
        feedback = _revealed_solution(lesson, quiz, learner, used) if shown else None
        return out | {"answer": None, "feedback": feedback}
    last = tried[-1]
    feedback = visible_feedback(
        quiz, _stored_grade(last, quiz), attempts_used=used, attempts_left=left, revealed=shown
    )
    return out | {"answer": last.answer, "feedback": feedback}


def _left(quiz: Quiz, used: int) -> int | None:
    return None if quiz.attempts is None else max(0, quiz.attempts - used)


def _live(lesson: Lesson, quiz: Quiz, learner: str) -> float | None:
    """The live quantity in the learner's own lab, now (LiveError if it is not open)."""
    if quiz.live is None:
        return None
    labs = current_app.extensions["lab_namespace"]
    session = labs.learner_lab(learner, lesson.id, quiz.live.lab)
    if session is None:
        raise LiveError(
            f"open the lab {quiz.live.lab!r} on this page first: the question is about its numbers"
        )
    with session.lock:
        return live_value(quiz, session.lab)


def _revealed_solution(lesson: Lesson, quiz: Quiz, learner: str, used: int) -> dict[str, Any]:
    ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=secret())
    try:
        value = _live(lesson, quiz, learner)
    except LiveError:
        value = None
    detail: dict[str, Any] = {"explanation": quiz.explanation}
    if quiz.live is None or value is not None:
        detail["solution"] = solution(quiz, item_ids=ids, live_value=value)
    return visible_feedback(
        quiz, Grade(0.0, False, detail), attempts_used=used, attempts_left=0, revealed=True
    )


@bp.get("/api/lessons/<slug>/quizzes")
def lesson_state(slug: str) -> ResponseReturnValue:
    lesson = lesson_or_404(slug)
    learner = current_learner_id(create=False)
    return jsonify(
        ok=True, quizzes={q: state(lesson, quiz, learner) for q, quiz in lesson.quizzes.items()}
    )


@bp.post("/api/lessons/<slug>/quizzes/<quiz_id>/attempts")
def submit(slug: str, quiz_id: str) -> ResponseReturnValue:
    lesson = lesson_or_404(slug)
    quiz = quiz_or_404(lesson, quiz_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error("bad_payload", "send a JSON object with submission_id and answer", 400)
    body = {k: v for k, v in body.items() if k not in CLAIMS}
    unknown = sorted(set(body) - {"submission_id", "answer"})
    if unknown:
        return error("unknown_field", f"unknown field {unknown[0]!r}", 400, unknown[0])
    submission = body.get("submission_id")
    if not isinstance(submission, str) or not SUBMISSION_ID.fullmatch(submission):
        return error("bad_value", "submission_id must be 8–64 letters, digits, - or _", 400,
                     "submission_id")  # fmt: skip
    learner = current_learner_id()
    assert learner is not None
    wait = ratelimit.hit("quiz", learner)
    if wait is not None:
        response = jsonify(ok=False, error={
            "code": "rate_limited", "field": None,
            "message": f"too many answers at once: try again in {math.ceil(wait)} s"})  # fmt: skip
        return response, 429, {"Retry-After": str(math.ceil(wait))}
    ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=secret())
    try:
        value = _live(lesson, quiz, learner)
        result = grade(quiz, body.get("answer"), item_ids=ids, live_value=value)
    except AnswerError as bad:
        return jsonify(bad.as_ack()), 400
    except LiveError as bad:
        return jsonify(bad.as_ack()), 409
    outcome = store.submit_attempt(
        db.sessions(), learner, lesson.id, quiz.id, submission, body.get("answer"),
        quiz.attempts if quiz.graded else None,
        lambda answer, n: (result.score or 0.0, bool(result.correct), result.feedback),
    )  # fmt: skip
    if outcome.refused is not None:
        reply = state(lesson, quiz, learner)
        return jsonify(ok=False, state=reply, error={
            "code": REFUSALS[outcome.refused], "field": None,
            "message": "no attempts left" if outcome.refused != store.SUBMISSION_REUSED
            else "that submission id was used for another question"}), 409  # fmt: skip
    return jsonify(ok=True, replayed=outcome.replayed, attempt_no=outcome.attempt_no,
                   **state(lesson, quiz, learner))  # fmt: skip


@bp.post("/api/lessons/<slug>/quizzes/<quiz_id>/reveal")
def reveal(slug: str, quiz_id: str) -> ResponseReturnValue:
    lesson = lesson_or_404(slug)
    quiz = quiz_or_404(lesson, quiz_id)
    if not quiz.graded:
        return error("not_graded", "a poll has no answer to reveal", 400)
    learner = current_learner_id()
    assert learner is not None
    with db.transaction() as session:
        store.reveal(session, learner, lesson.id, quiz.id)
    return jsonify(ok=True, **state(lesson, quiz, learner))
