"""An instructor's classes: the dashboard, creating a class, its page, the join code,
the roster (and its CSV import: roster.py) and co-teachers (common.py says who may
do what)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from course import zones
from course.lessons.modules import MODULES
from course.storage import db
from course.storage.models import (
    Assignment,
    Classroom,
    CoTeacher,
    Enrollment,
    Extension,
    Instructor,
    LiveSessionRecord,
    RosterInvite,
)
from course.teach import assignments, attendance, gradebook, roster
from course.teach import live as live_records
from course.teach.accounts import login_required, normalise_email
from course.teach.common import (
    class_or_404,
    lesson_by_id,
    lessons_in_order,
    me,
    owned_class_or_404,
    taught_by,
)

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
    session = db.get_session()
    mine = list(
        session.scalars(select(Classroom).where(taught_by(me().id)).order_by(Classroom.created_at))
    )
    others = {c.instructor_id for c in mine} - {me().id}
    owners = {
        row.id: row.name
        for row in session.execute(
            select(Instructor.id, Instructor.name).where(Instructor.id.in_(others))
        )
    }
    return render_template("teach/dashboard.html", classes=mine, owners=owners)


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
    return render_page(class_id)


def render_page(class_id: int, **extra: Any) -> str:
    """The class page; ``extra``: what a refused form shows again (roster errors)."""
    classroom = class_or_404(class_id)
    session = db.get_session()
    roster_ = roster_of(session, class_id)
    teachers = session.execute(
        select(Instructor)
        .join(CoTeacher, CoTeacher.instructor_id == Instructor.id)
        .where(CoTeacher.class_id == class_id)
        .order_by(Instructor.name)
    ).scalars()
    sessions = list(
        session.scalars(
            select(LiveSessionRecord)
            .where(LiveSessionRecord.class_id == class_id)
            .order_by(LiveSessionRecord.started_at.desc())
        )
    )
    return render_template(
        "teach/class.html",
        classroom=classroom,
        owner=session.get(Instructor, classroom.instructor_id),
        owns=classroom.instructor_id == me().id,
        co_teachers=list(teachers),
        roster=roster_,
        invites=roster.invites(session, class_id),
        names={e.learner_id: e.display_name for e in roster_},
        assigned=assignments.of_class(session, class_id),
        lessons=lessons_in_order(),
        modules=MODULES,
        book=gradebook.build(session, classroom),
        live_sessions=[(record, lesson_by_id(record.lesson_id)) for record in sessions],
        attended=_attended_by_session(session, class_id),
        presenting=live_records.presenting(sessions, class_id),
        me_id=me().id,
        roster_max_rows=roster.MAX_ROWS,
        roster_max_kb=roster.MAX_BYTES // 1024,
        **extra,
    )


def _attended_by_session(session: Session, class_id: int) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    for row in attendance.participation(session, class_id):
        found.setdefault(row.session_id, []).append(row)
    return found


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
        classroom = owned_class_or_404(class_id, session)
        classroom.archived = request.form.get("archived") == "1"
    flash("Class archived: nobody can join it." if classroom.archived else "Class reopened.")
    return redirect(url_for("teach.page", class_id=class_id))


def unenrol(session: Session, enrolled: Enrollment) -> None:
    """Take a student out of a class, with their extensions there (their own progress
    is theirs: it stays)."""
    in_class = select(Assignment.id).where(Assignment.class_id == enrolled.class_id)
    theirs = delete(Extension).where(
        Extension.learner_id == enrolled.learner_id, Extension.assignment_id.in_(in_class)
    )
    session.delete(enrolled)
    session.execute(theirs)


@bp.post("/classes/<int:class_id>/students/<learner_id>/remove")
@login_required
def remove_student(class_id: int, learner_id: str) -> ResponseReturnValue:
    with db.transaction() as session:
        class_or_404(class_id, session)
        enrolled = session.get(Enrollment, (class_id, learner_id))
        if enrolled is None:
            abort(404)
        unenrol(session, enrolled)
    flash(f"{enrolled.display_name} was removed from the class. Their own progress is kept.")
    return redirect(url_for("teach.page", class_id=class_id) + "#roster")


# -- the roster from a CSV (roster.py) ---------------------------------------------------


@bp.post("/classes/<int:class_id>/roster")
@login_required
def import_roster(class_id: int) -> ResponseReturnValue:
    """Import names and e-mails, all or nothing; a refusal shows every bad line."""
    class_or_404(class_id)
    upload = request.files.get("file")
    text = request.form.get("text", "")[: roster.MAX_BYTES + 1]
    try:
        if upload is not None and upload.filename:
            text = roster.decode(upload.stream.read(roster.MAX_BYTES + 1))
        rows = roster.parse(text)
        with db.transaction() as session:
            class_or_404(class_id, session)
            added, known = roster.import_rows(session, class_id, rows)
    except roster.RosterError as error:
        shown = text[: roster.MAX_BYTES] if len(text) <= roster.MAX_BYTES else ""
        return render_page(class_id, roster_errors=error.errors, roster_text=shown), 400
    already = f", {known} already on it" if known else ""
    flash(f"{added} student{'' if added == 1 else 's'} added to the roster{already}.")
    return redirect(url_for("teach.page", class_id=class_id) + "#roster")


@bp.post("/classes/<int:class_id>/invites/remove")
@login_required
def remove_invite(class_id: int) -> ResponseReturnValue:
    email = request.form.get("email", "").strip().lower()
    with db.transaction() as session:
        class_or_404(class_id, session)
        found = session.get(RosterInvite, (class_id, email))
        if found is None:
            abort(404)
        session.delete(found)
    flash(f"{found.name} was taken off the roster.")
    return redirect(url_for("teach.page", class_id=class_id) + "#roster")


# -- co-teachers ----------------------------------------------------------------------------


@bp.post("/classes/<int:class_id>/teachers")
@login_required
def add_teacher(class_id: int) -> ResponseReturnValue:
    """The owner gives another instructor (by their account's e-mail) the class."""
    email = normalise_email(request.form.get("email", ""))[:254]
    back = redirect(url_for("teach.page", class_id=class_id) + "#teachers")
    with db.transaction() as session:
        classroom = owned_class_or_404(class_id, session)
        other = session.scalar(select(Instructor).where(Instructor.email == email))
        if other is None:
            flash(f"No instructor has the account “{email}”. An admin adds instructors.", "error")
            return back
        if other.id == classroom.instructor_id:
            flash("You own this class already.", "error")
            return back
        if session.get(CoTeacher, (class_id, other.id)) is None:
            session.add(CoTeacher(class_id=class_id, instructor_id=other.id))
    flash(f"{other.name} now co-teaches this class: its sessions, roster and gradebook.")
    return back


@bp.post("/classes/<int:class_id>/teachers/<int:instructor_id>/revoke")
@login_required
def revoke_teacher(class_id: int, instructor_id: int) -> ResponseReturnValue:
    with db.transaction() as session:
        owned_class_or_404(class_id, session)
        found = session.get(CoTeacher, (class_id, instructor_id))
        if found is None:
            abort(404)
        session.delete(found)
        name = session.get(Instructor, instructor_id)
    flash(f"{name.name if name else 'That instructor'} no longer has access to this class.")
    return redirect(url_for("teach.page", class_id=class_id) + "#teachers")
