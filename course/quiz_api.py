"""Quizzes over HTTP: a learner's state, submissions and reveals.

"Show answer" waits for the learner's own first attempt (or, by the quiz's
``reveal`` policy, their last): a reveal is recorded against the learner, ends
their attempts, and the gradebook shows it.

Answer keys never leave the server: the page carries ``public_view`` only, a
submission is graded here, and the reply holds what the quiz's feedback policy
allows (``visible_feedback``). Anything the client says about correctness or
score is dropped unread. Each submission carries a client-made id, so a retried
request is answered from the stored attempt instead of being counted twice.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, abort, current_app, jsonify
from flask.typing import ResponseReturnValue

from course.extensions import socketio
from course.lessons.registry import Lesson, lesson_or_404
from course.quizzes import (
    Grade,
    LiveError,
    Quiz,
    grade,
    item_ids,
    live_value,
    may_reveal,
    playground_value,
    public_view,
    quiz_key,
    solution,
    task_value,
    visible_feedback,
)
from course.storage import db
from course.storage import records as store
from course.storage.models import QuizAttempt
from course.web import ratelimit
from course.web.http import json_body, json_error
from course.web.identity import current_learner_id
from course.web.validation import Field, PayloadError

bp = Blueprint("quizzes", __name__)
bp.register_error_handler(PayloadError, json_error)  # a bad body or AnswerError: 400

CLAIMS = ("correct", "score", "points", "feedback")  # a client may send them; never read
SUBMISSION_SCHEMA = {
    "submission_id": Field(str, required=True, pattern=r"[A-Za-z0-9_-]{8,64}"),
    "answer": Field(object),  # its shape is the quiz type's: ``grade`` checks it
} | {claim: Field(object) for claim in CLAIMS}
REVEAL_SCHEMA: dict[str, Field] = {}
REFUSALS = {
    store.NO_ATTEMPTS_LEFT: PayloadError("no_attempts", "no attempts left"),
    store.REVEALED: PayloadError("revealed", "no attempts left"),
    store.SUBMISSION_REUSED: PayloadError(
        "submission_reused", "that submission id was used for another question"
    ),
}


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


def _standing(quiz: Quiz, used: int, left: int | None, shown: bool) -> dict[str, Any]:
    """Attempts, and whether "Show answer" may be used now (if not, why not)."""
    why = None if shown else may_reveal(quiz, used, left)
    return {
        "attempts_used": used,
        "attempts_left": left,
        "revealed": shown,
        "can_reveal": quiz.graded and not shown and why is None,
        "reveal_blocked": why,
    }


def shut(lesson: Lesson, quiz: Quiz) -> str | None:
    """Why ``quiz`` may be neither answered nor revealed on this browser now, or None.
    A part of the course registers a check in ``app.extensions["quiz_locks"]``: a live
    session shuts the lesson's copy of the question that is its open poll."""
    for check in current_app.extensions.get("quiz_locks", ()):
        why: str | None = check(lesson.slug, quiz.id)
        if why:
            return why
    return None


def state(lesson: Lesson, quiz: Quiz, learner: str | None) -> dict[str, Any]:
    """Where the learner stands on one quiz: attempts, their last answer and what
    they may see of its grading now (nothing while it is shut: see ``shut``)."""
    why = shut(lesson, quiz)
    if why is not None:
        closed = _standing(quiz, 0, None, False) | {"can_reveal": False, "reveal_blocked": why}
        return closed | {"answer": None, "feedback": None, "locked": why}
    if learner is None:
        empty = _standing(quiz, 0, _left(quiz, 0), False)
        return empty | {"answer": None, "feedback": None}
    with db.sessions()() as session:
        tried = store.attempts(session, learner, lesson.id, quiz.id)
        shown = store.revealed(session, learner, lesson.id, quiz.id)
    used = len(tried)
    left = 0 if shown else _left(quiz, used)
    out = _standing(quiz, used, left, shown)
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


# Where each kind of live question finds the learner's open widget: the namespace that
# serves it (the one Socket.IO dispatches to, whichever app registered it last).
OPEN_WIDGETS = {"lab": "/lab", "playground": "/playground", "task": "/task"}


def _live(lesson: Lesson, quiz: Quiz, learner: str) -> float | None:
    """The live quantity in the learner's own widget, now (LiveError if it is not open)."""
    live = quiz.live
    if live is None:
        return None
    widgets = socketio.server.namespace_handlers[OPEN_WIDGETS[live.kind]]
    session = widgets.learner_widget(learner, lesson.id, live.lab)
    if session is None:
        raise LiveError(
            f"open the {live.kind} {live.lab!r} on this page first: "
            "the question is about its numbers"
        )
    if live.kind == "task":  # questions read the run's latest weights without its lock
        return task_value(quiz, session.run)
    with session.lock:
        if live.kind == "playground":
            return playground_value(quiz, session.playground.config)
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
    body = json_body(SUBMISSION_SCHEMA)
    learner = current_learner_id()
    assert learner is not None
    wait = ratelimit.hit("quiz", learner)
    if wait is not None:
        seconds = math.ceil(wait)
        busy = PayloadError("rate_limited", f"too many answers at once: try again in {seconds} s")
        return json_error(busy, 429), {"Retry-After": str(seconds)}
    why = shut(lesson, quiz)
    if why is not None:
        return json_error(PayloadError("shut", why), 409, state=state(lesson, quiz, learner))
    ids = item_ids(quiz, key=quiz_key(lesson.id, quiz.id), secret=secret())
    try:
        value = _live(lesson, quiz, learner)
    except LiveError as closed:
        return json_error(closed, 409)
    result = grade(quiz, body["answer"], item_ids=ids, live_value=value)  # AnswerError: 400
    outcome = store.submit_attempt(
        db.sessions(),
        learner,
        lesson.id,
        quiz.id,
        body["submission_id"],
        body["answer"],
        max_attempts=quiz.attempts if quiz.graded else None,
        grade=lambda answer, n: (result.score or 0.0, bool(result.correct), result.feedback),
    )
    if outcome.refused is not None:
        return json_error(REFUSALS[outcome.refused], 409, state=state(lesson, quiz, learner))
    reply = state(lesson, quiz, learner)
    return jsonify(ok=True, replayed=outcome.replayed, attempt_no=outcome.attempt_no, **reply)


@bp.post("/api/lessons/<slug>/quizzes/<quiz_id>/reveal")
def reveal(slug: str, quiz_id: str) -> ResponseReturnValue:
    lesson = lesson_or_404(slug)
    quiz = quiz_or_404(lesson, quiz_id)
    json_body(REVEAL_SCHEMA)
    if not quiz.graded:
        raise PayloadError("not_graded", "a poll has no answer to reveal")
    learner = current_learner_id()
    assert learner is not None
    why = shut(lesson, quiz)
    if why is not None:
        return json_error(PayloadError("shut", why), 409, state=state(lesson, quiz, learner))
    with db.transaction() as session:  # counted and recorded in one write transaction
        used = len(store.attempts(session, learner, lesson.id, quiz.id))
        shown = store.revealed(session, learner, lesson.id, quiz.id)
        why = None if shown else may_reveal(quiz, used, _left(quiz, used))
        if why is None:
            store.reveal(session, learner, lesson.id, quiz.id)
    if why is not None:
        refused = PayloadError("not_yet", why)
        return json_error(refused, 409, state=state(lesson, quiz, learner))
    return jsonify(ok=True, **state(lesson, quiz, learner))
