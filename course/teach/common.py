"""What every teaching view needs: the signed-in instructor, their class (or a 404),
and the lessons in course order."""

from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from course.lessons.modules import MODULES
from course.lessons.registry import Lesson, lessons
from course.storage import db
from course.storage.models import Classroom, Instructor
from course.teach.accounts import current_instructor


def me() -> Instructor:
    """The signed-in instructor (only under ``login_required``)."""
    found = current_instructor()
    assert found is not None
    return found


def class_or_404(class_id: int, session: Session | None = None) -> Classroom:
    """The class if it is the signed-in instructor's; 404 for any other, as for none."""
    session = session or db.get_session()
    found = session.scalar(
        select(Classroom).where(Classroom.id == class_id, Classroom.instructor_id == me().id)
    )
    if found is None:
        abort(404)
    return found


def lessons_in_order() -> list[Lesson]:
    registry = lessons()
    return [lesson for n in sorted(MODULES) for lesson in registry.in_module(n)]


def lesson_by_id(lesson_id: str) -> Lesson | None:
    return next((x for x in lessons_in_order() if x.id == lesson_id), None)
