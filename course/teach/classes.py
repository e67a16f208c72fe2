"""An instructor's classes: the dashboard, creating a class, its page, the join code
and the roster."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course.lessons.modules import MODULES
from course.storage import db
from course.storage.models import Assignment, Classroom, Enrollment, Extension, LiveSessionRecord
from course.teach import assignments, gradebook, zones
from course.teach.accounts import login_required
from course.teach.common import class_or_404, lesson_by_id, lessons_in_order, me

bp = Blueprint("teach", __name__, url_prefix="/teach")

# The live-session codes' alphabet: no 0/O, 1/I/L, so a code read aloud is typed right.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_CLASS_NAME = 80


def new_join_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """What a person typed as a code, as stored: capitals, no spaces or dashes."""
    return "".join(text.split()).replace("-", "").upper()


def set_new_code(session: Session, classroom: Classroom) -> None:
    """Give the class a fresh join code (the old one stops working at commit)."""
    for _ in range(20):
        code = new_join_code()
        if session.scalar(select(Classroom.id).where(Classroom.join_code == code)) is None:
            classroom.join_code = code
            return
    raise RuntimeError("no free join code after 20 tries")


@bp.get("/")
@login_required
def dashboard() -> ResponseReturnValue:
    mine = db.get_session().scalars(
        select(Classroom).where(Classroom.instructor_id == me().id).order_by(Classroom.created_at)
    )
    return render_template("teach/dashboard.html", classes=list(mine))


@bp.post("/classes")
@login_required
def create() -> ResponseReturnValue:
    name = " ".join(request.form.get("name", "").split())
    if not 1 <= len(name) <= MAX_CLASS_NAME:
        flash(f"A class name is 1–{MAX_CLASS_NAME} characters.", "error")
        return redirect(url_for("teach.dashboard"))
    zone = zones.valid(request.form.get("time_zone", zones.DEFAULT))
    if zone is None:
        flash("Pick a time zone from the list.", "error")
        return redirect(url_for("teach.dashboard"))
    for _ in range(3):  # a code taken between our check and the insert: try another
        try:
            with db.transaction() as session:
                classroom = Classroom(
                    name=name, instructor_id=me().id, join_code="", time_zone=zone
                )
                set_new_code(session, classroom)
                session.add(classroom)
            break
        except IntegrityError:
            continue
    else:
        abort(503)
    return redirect(url_for("teach.page", class_id=classroom.id))


@bp.get("/classes/<int:class_id>")
@login_required
def page(class_id: int) -> ResponseReturnValue:
    classroom = class_or_404(class_id)
    session = db.get_session()
    roster = roster_of(session, class_id)
    sessions = session.scalars(
        select(LiveSessionRecord)
        .where(LiveSessionRecord.class_id == class_id)
        .order_by(LiveSessionRecord.started_at.desc())
    )
    return render_template(
        "teach/class.html",
        classroom=classroom,
        roster=roster,
        names={e.learner_id: e.display_name for e in roster},
        assigned=assignments.of_class(session, class_id),
        lessons=lessons_in_order(),
        modules=MODULES,
        book=gradebook.build(session, classroom),
        live_sessions=[(record, lesson_by_id(record.lesson_id)) for record in sessions],
    )


def roster_of(session: Session, class_id: int) -> list[Enrollment]:
    query = (
        select(Enrollment)
        .where(Enrollment.class_id == class_id)
        .order_by(Enrollment.display_name, Enrollment.joined_at)
    )
    return list(session.scalars(query))


@bp.post("/classes/<int:class_id>/code")
@login_required
def rotate_code(class_id: int) -> ResponseReturnValue:
    with db.transaction() as session:
        classroom = class_or_404(class_id, session)
        set_new_code(session, classroom)
    flash(f"New join code: {classroom.join_code}. The old code no longer works.")
    return redirect(url_for("teach.page", class_id=class_id))


@bp.post("/classes/<int:class_id>/archive")
@login_required
def archive(class_id: int) -> ResponseReturnValue:
    with db.transaction() as session:
        classroom = class_or_404(class_id, session)
        classroom.archived = request.form.get("archived") == "1"
    flash("Class archived: nobody can join it." if classroom.archived else "Class reopened.")
    return redirect(url_for("teach.page", class_id=class_id))


@bp.post("/classes/<int:class_id>/students/<learner_id>/remove")
@login_required
def remove_student(class_id: int, learner_id: str) -> ResponseReturnValue:
    with db.transaction() as session:
        class_or_404(class_id, session)
        enrolled = session.get(Enrollment, (class_id, learner_id))
        if enrolled is None:
            abort(404)
        session.delete(enrolled)
        in_class = select(Assignment.id).where(Assignment.class_id == class_id)
        session.execute(
            delete(Extension).where(
                Extension.learner_id == learner_id, Extension.assignment_id.in_(in_class)
            )
        )
    flash(f"{enrolled.display_name} was removed from the class. Their own progress is kept.")
    return redirect(url_for("teach.page", class_id=class_id) + "#roster")
