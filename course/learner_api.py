"""What a learner does, over HTTP: progress marks and the "my progress" page.

Every write is a POST with the CSRF token (``course.web.csrf``), validated at the edge,
and answered only after its transaction has committed.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from flask.typing import ResponseReturnValue

from course.lessons.modules import MODULES
from course.lessons.path import resume, sections
from course.lessons.registry import Lesson, lesson_or_404, lessons
from course.storage import progress
from course.web.http import json_body, json_error
from course.web.identity import current_learner_id
from course.web.validation import Field, PayloadError

bp = Blueprint("learner", __name__)
bp.register_error_handler(PayloadError, json_error)  # one a view lets through: 400


MARK_SCHEMA = {
    "kind": Field(str, required=True, choices=("section", "predict")),
    "key": Field(str, required=True, max_length=64),
    "value": Field((str, int, float), max_length=200),
}


def predictions(lesson: Lesson) -> set[str]:
    """The ids of the lesson's predict prompts."""
    return set(lesson.predicts)


@bp.post("/api/lessons/<slug>/progress")
def mark(slug: str) -> ResponseReturnValue:
    lesson = lesson_or_404(slug)
    data = json_body(MARK_SCHEMA)
    known = {a for a, _ in sections(lesson)} if data["kind"] == "section" else predictions(lesson)
    if data["key"] not in known:
        missing = f"this lesson has no {data['kind']} {data['key']!r}"
        return json_error(PayloadError("not_found", missing, "key"), 404)
    value = data["value"]
    if data["kind"] == "section" and value is not None:
        raise PayloadError("bad_value", "a section takes no value", "value")
    if data["kind"] == "predict":
        try:
            value = lesson.predicts[data["key"]].check_guess(value)
        except ValueError as bad:
            raise PayloadError("bad_value", str(bad), "value") from None
    learner = current_learner_id()
    assert learner is not None  # create=True always gives one
    new = progress.record(learner, lesson.id, data["kind"], data["key"], value)
    if data["kind"] != "predict":
        return jsonify(ok=True, new=new)
    # Committed: now the observation may be shown, with the guess that counts (the first).
    guess = progress.of(learner)[lesson.id]["predictions"][data["key"]]
    return jsonify(ok=True, new=new, guess=guess, observe=lesson.predicts[data["key"]].observe)


@bp.get("/api/progress")
def mine() -> ResponseReturnValue:
    return jsonify(ok=True, progress=progress.of(current_learner_id(create=False)))


@bp.get("/progress")
def page() -> ResponseReturnValue:
    registry = lessons()
    learner = current_learner_id(create=False)
    done = progress.of(learner)
    modules = [
        (module, [summary(lesson, done.get(lesson.id, {})) for lesson in registry.in_module(n)])
        for n, module in sorted(MODULES.items())
    ]
    here = resume(registry, done, progress.last_lesson(learner))
    return render_template("progress.html", modules=modules, resume=here)


def summary(lesson: Lesson, done: dict[str, Any]) -> dict[str, Any]:
    """One lesson's row on the progress page."""
    titles = sections(lesson)
    seen = set(done.get("sections", []))
    quizzes = getattr(lesson, "quizzes", {}) or {}
    results = done.get("quizzes", {})
    scored = [results[q]["best_score"] or 0.0 for q in quizzes if q in results]
    return {
        "lesson": lesson,
        "sections": [(title, anchor in seen) for anchor, title in titles],
        "sections_seen": len(seen & {a for a, _ in titles}),
        "labs": [
            (lab_id, lab_id in done.get("labs", []))
            for lab_id in [*lesson.labs, *lesson.playgrounds]
        ],
        "predictions": len(done.get("predictions", {})),
        "predicts": len(predictions(lesson)),
        "quizzes": len(quizzes),
        "quizzes_tried": len(scored),
        "score": sum(scored),
        "started": bool(done),
    }
