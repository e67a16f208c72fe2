"""What every teaching view needs: the signed-in instructor, their class (or a 404),
and the lessons in course order.

A class is taught by its owner (``Classroom.instructor_id``) and the co-teachers the
owner adds (``CoTeacher``): both see and teach it (roster, assignments, gradebook,
live sessions); only the owner archives it and changes who co-teaches
(``owned_class_or_404``)."""

from __future__ import annotations

from typing import Any

from flask import abort
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from course.lessons.modules import MODULES
from course.lessons.registry import Lesson, lessons
from course.storage import db
from course.storage.models import Classroom, CoTeacher, Instructor
from course.teach.accounts import current_instructor


def me() -> Instructor:
    """The signed-in instructor (only under ``login_required``)."""
    found = current_instructor()
    assert found is not None
    return found


def taught_by(instructor_id: int) -> Any:
    """The SQL condition "``instructor_id`` owns or co-teaches the class"."""
    co = select(CoTeacher.class_id).where(CoTeacher.instructor_id == instructor_id)
    return or_(Classroom.instructor_id == instructor_id, Classroom.id.in_(co))


def class_or_404(class_id: int, session: Session | None = None) -> Classroom:
    """The class if the signed-in instructor owns or co-teaches it; 404 for any other,
    as for none."""
    session = session or db.get_session()
    found = session.scalar(select(Classroom).where(Classroom.id == class_id, taught_by(me().id)))
    if found is None:
        abort(404)
    return found


def owned_class_or_404(class_id: int, session: Session | None = None) -> Classroom:
    """The class if the signed-in instructor owns it; a co-teacher gets 403 (they see
    the class, so its existence is no secret to them); anyone else 404."""
    classroom = class_or_404(class_id, session)
    if classroom.instructor_id != me().id:
        abort(403)
    return classroom


def lessons_in_order() -> list[Lesson]:
    registry = lessons()
    return [lesson for n in sorted(MODULES) for lesson in registry.in_module(n)]


def lesson_by_id(lesson_id: str) -> Lesson | None:
    return next((x for x in lessons_in_order() if x.id == lesson_id), None)
