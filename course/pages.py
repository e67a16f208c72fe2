"""Pages: the course home, lessons, and the health checks (``course.health``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template
from flask.typing import ResponseReturnValue

from course import health, quiz_api, warmup
from course.lab import views
from course.lessons.modules import MODULES
from course.lessons.path import next_lesson, resume, sections
from course.lessons.registry import Lesson, lessons
from course.storage import progress
from course.web.identity import current_learner_id

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    registry = lessons()
    modules = [(m, registry.in_module(n)) for n, m in sorted(MODULES.items())]
    learner = current_learner_id(create=False)
    done = progress.of(learner)
    read = {
        lesson.id: (len(set(done.get(lesson.id, {}).get("sections", []))), len(sections(lesson)))
        for lesson in registry.lessons.values()
    }
    here = resume(registry, done, progress.last_lesson(learner))
    return render_template("home.html", modules=modules, read=read, resume=here)


@bp.get("/lessons/<slug>")
def lesson(slug: str) -> ResponseReturnValue:
    found = lessons().get(slug)
    if found is None:
        abort(404)
    return render_lesson(found)


def render_lesson(found: Lesson, **context: Any) -> str:
    """A lesson page for the learner behind this request; ``context`` adds to it
    (a live session's code and role)."""
    figures = {lab_id: views.figures(spec, drawn=True) for lab_id, spec in found.labs.items()}
    learner = current_learner_id()
    assert learner is not None
    after = next_lesson(lessons(), found)
    return render_template(
        "lesson.html",
        lesson=found,
        module=MODULES[found.module],
        figures=figures,
        quizzes=quiz_api.views_for(found, learner),
        done=progress.of(learner).get(found.id, {}),
        next=after,
        next_module=None if after is None else MODULES[after.module],
        **context,
    )


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    return health.response(lessons=len(lessons().lessons), warmup=warmup.status())


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    return health.response()
