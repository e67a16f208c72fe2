"""Assignments: lessons due by a date, and later dates for single students. Dates are
stored in UTC and read from forms and shown in the class's time zone (``zones``); a
class's zone can be changed here (nothing stored moves: the same instants show in
the new zone).

An assignment is one lesson (by lesson id). Assigning a module assigns each of its
lessons, with the same due date; lessons already assigned keep theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from sqlalchemy.orm import Session

from course import zones
from course.lessons.registry import Lesson
from course.storage import db
from course.storage.models import Assignment, Classroom, Enrollment, Extension
from course.teach.accounts import login_required
from course.teach.common import class_or_404, lesson_by_id, lessons_in_order

bp = Blueprint("assignments", __name__, url_prefix="/teach/classes/<int:class_id>/assignments")

EARLIEST, LATEST = zones.EARLIEST, zones.LATEST


@dataclass(frozen=True)
class Assigned:
    """An assignment with its lesson (None if the lesson is gone) and its extensions."""

    assignment: Assignment
    lesson: Lesson | None
    extensions: list[Extension]


def parse_due(text: str, zone: str = zones.DEFAULT) -> datetime:
    """A due date from a form: ``2026-12-01T17:00`` is in ``zone`` (the class's); an
    explicit offset is converted. ValueError if it is not a date and time (or its
    offset takes it past the calendar's ends)."""
    return zones.parse(text, zone)


def of_class(session: Session, class_id: int) -> list[Assigned]:
    """The class's assignments in course order (then lessons no longer served)."""
    found = session.scalars(select(Assignment).where(Assignment.class_id == class_id))
    rows = list(found)
    extensions: dict[int, list[Extension]] = {row.id: [] for row in rows}
    if rows:
        query = select(Extension).where(Extension.assignment_id.in_(extensions))
        for extension in session.scalars(query.order_by(Extension.due_at)):
            extensions[extension.assignment_id].append(extension)
    order = {lesson.id: n for n, lesson in enumerate(lessons_in_order())}
    rows.sort(key=lambda a: (order.get(a.lesson_id, len(order)), a.lesson_id))
    return [Assigned(a, lesson_by_id(a.lesson_id), extensions[a.id]) for a in rows]


def back(class_id: int) -> ResponseReturnValue:
    return redirect(url_for("teach.page", class_id=class_id) + "#assignments")


def due_from_form(classroom: Classroom) -> datetime | None:
    try:
        return parse_due(request.form.get("due", ""), classroom.time_zone)
    except ValueError:
        flash(f"Pick a due date and time ({classroom.time_zone}).", "error")
        return None


@bp.post("/time-zone")
@login_required
def set_zone(class_id: int) -> ResponseReturnValue:
    """The class's time zone: the teaching pages' times and the due-date forms use it."""
    zone = zones.valid(request.form.get("time_zone", ""))
    if zone is None:
        flash("Pick a time zone from the list.", "error")
        return back(class_id)
    with db.transaction() as session:
        class_or_404(class_id, session).time_zone = zone
    flash(f"Times on this class's pages are now in {zone}.")
    return back(class_id)


@bp.post("")
@login_required
def create(class_id: int) -> ResponseReturnValue:
    kind, _, value = request.form.get("what", "").partition(":")
    chosen = [
        x
        for x in lessons_in_order()
        if (kind, value) in {("lesson", x.id), ("module", str(x.module))}
    ]
    if not chosen:
        flash("Pick a lesson or a module to assign.", "error")
        return back(class_id)
    classroom = class_or_404(class_id)
    zone, due = classroom.time_zone, due_from_form(classroom)
    if due is None:
        return back(class_id)
    with db.transaction() as session:
        class_or_404(class_id, session)
        taken = set(
            session.scalars(select(Assignment.lesson_id).where(Assignment.class_id == class_id))
        )
        new = [lesson for lesson in chosen if lesson.id not in taken]
        if kind == "lesson" and not new:
            stored = session.scalar(
                select(Assignment).where(
                    Assignment.class_id == class_id, Assignment.lesson_id == chosen[0].id
                )
            )
            assert stored is not None
            stored.due_at = due
            flash(f"“{chosen[0].title}” is now due {zones.shown(due, zone)}.")
            return back(class_id)
        for lesson in new:
            session.add(Assignment(class_id=class_id, lesson_id=lesson.id, due_at=due))
    titles = ", ".join(f"“{lesson.title}”" for lesson in new) or "nothing new"
    flash(f"Assigned {titles}, due {zones.shown(due, zone)}.")
    return back(class_id)


@bp.post("/<int:assignment_id>/delete")
@login_required
def remove(class_id: int, assignment_id: int) -> ResponseReturnValue:
    with db.transaction() as session:
        session.delete(assignment_or_404(session, class_id, assignment_id))
    flash("Assignment removed.")
    return back(class_id)


def assignment_or_404(session: Session, class_id: int, assignment_id: int) -> Assignment:
    class_or_404(class_id, session)
    found = session.get(Assignment, assignment_id)
    if found is None or found.class_id != class_id:
        abort(404)
    return found


@bp.post("/<int:assignment_id>/extensions")
@login_required
def extend(class_id: int, assignment_id: int) -> ResponseReturnValue:
    classroom = class_or_404(class_id)
    zone, due = classroom.time_zone, due_from_form(classroom)
    if due is None:
        return back(class_id)
    learner_id = request.form.get("learner", "")
    with db.transaction() as session:
        assignment = assignment_or_404(session, class_id, assignment_id)
        student = session.get(Enrollment, (class_id, learner_id))
        if student is None:
            flash("Pick a student of this class.", "error")
            return back(class_id)
        if due <= assignment.due_at:
            flash(
                f"An extension must be later than the due date "
                f"({zones.shown(assignment.due_at, zone)}).",
                "error",
            )
            return back(class_id)
        extension = session.get(Extension, (assignment_id, learner_id))
        if extension is None:
            session.add(Extension(assignment_id=assignment_id, learner_id=learner_id, due_at=due))
        else:
            extension.due_at = due
    flash(f"{student.display_name} now has until {zones.shown(due, zone)}.")
    return back(class_id)


@bp.post("/<int:assignment_id>/extensions/<learner_id>/delete")
@login_required
def unextend(class_id: int, assignment_id: int, learner_id: str) -> ResponseReturnValue:
    with db.transaction() as session:
        assignment_or_404(session, class_id, assignment_id)
        extension = session.get(Extension, (assignment_id, learner_id))
        if extension is None:
            abort(404)
        session.delete(extension)
    flash("Extension removed.")
    return back(class_id)
