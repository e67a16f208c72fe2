"""The student side: join a class with its code and a display name (or, if the
teacher imported a roster, with the e-mail on it: the student is then in under the
roster's name), see your classes, their live sessions running now (one click to
join, under your class name), what is assigned and when it is due (your own
extensions included), or leave.

A class member is their browser's learner id: their attempts and revealed answers
stay with it. A second browser (or a cleared cookie) cannot join under a name
someone in the class already has, so a fresh cookie never passes for a member
with fresh attempts: the teacher sees a second student under another name."""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from course import live
from course.learner_api import summary
from course.lessons.registry import Lesson
from course.storage import db, progress
from course.storage import records as store
from course.storage.models import (
    Assignment,
    Classroom,
    Enrollment,
    Extension,
    Instructor,
    LiveSessionRecord,
    RosterInvite,
)
from course.teach.accounts import EMAIL, normalise_email
from course.teach.classes import CODE_ALPHABET, CODE_LENGTH, normalise_code, unenrol
from course.teach.common import lesson_by_id
from course.web import ratelimit
from course.web.identity import current_learner_id
from course.web.validation import PayloadError

bp = Blueprint("students", __name__)

MAX_DISPLAY_NAME = 40


@dataclass(frozen=True)
class Due:
    """One assignment as its student sees it."""

    lesson: Lesson
    due_at: datetime
    extended_from: datetime | None  # the class's date, when this student has a later one
    done: dict[str, Any]  # the lesson's row from the progress page


def display_name(text: str) -> str | None:
    """The name as stored (spaces collapsed), or None if empty, too long or odd."""
    name = " ".join(text.split())
    if not 1 <= len(name) <= MAX_DISPLAY_NAME or not name.isprintable():
        return None
    return name


@dataclass(frozen=True)
class Live:
    """A live session of one of my classes, running now."""

    code: str
    lesson: Lesson | None
    lab_id: str


def join_page(
    code: str, name: str, error: str | None, status: int, email: str = ""
) -> ResponseReturnValue:
    page = render_template("join.html", code=code, name=name, email=email, error=error)
    return page, status


@bp.route("/join", methods=["GET", "POST"])
def join() -> ResponseReturnValue:
    code = normalise_code(request.values.get("code", ""))[:16]
    if request.method == "GET":
        return join_page(code, "", None, 200)
    raw_name = request.form.get("name", "")[:200]
    email = normalise_email(request.form.get("email", ""))[:300]
    if email and (len(email) > 254 or not EMAIL.fullmatch(email)):
        message = "That is not an e-mail address. Leave it empty to join with your name."
        return join_page(code, raw_name, message, 400, email)
    name = display_name(raw_name)
    if name is None and not email:
        message = (
            f"Enter the name your teacher will see (1–{MAX_DISPLAY_NAME} characters), "
            "or the e-mail your teacher has for you."
        )
        return join_page(code, raw_name, message, 400)
    wait = ratelimit.hit("join", request.remote_addr or "unknown")
    if wait is not None:
        message = f"Too many tries from this network. Try again in {math.ceil(wait)} s."
        return join_page(code, raw_name, message, 429, email)
    wrong = "No open class has that code. Check it with your teacher."
    if len(code) != CODE_LENGTH or not set(code) <= set(CODE_ALPHABET):
        return join_page(code, raw_name, wrong, 404, email)
    learner = current_learner_id()
    assert learner is not None
    with db.transaction() as session:
        classroom = session.scalar(
            select(Classroom).where(Classroom.join_code == code, Classroom.archived == false())
        )
        if classroom is None:
            return join_page(code, raw_name, wrong, 404, email)
        if email:
            return _claim(session, classroom, learner, email, code, raw_name)
        assert name is not None
        invited = _invited_as(session, classroom.id, name)
        if invited:
            message = (
                f"“{name}” is on your teacher's roster: type your e-mail as well to join as them."
            )
            return join_page(code, name, message, 409)
        if _name_taken(session, classroom.id, learner, name):
            taken = (
                f"Someone in this class already joined as “{name}”. If that was you, "
                "use the browser you joined with: your answers are kept there. "
                "Otherwise, add an initial."
            )
            return join_page(code, name, taken, 409)
        store.ensure_learner(session, learner)
        enrolled = session.get(Enrollment, (classroom.id, learner))
        if enrolled is None:
            session.add(Enrollment(class_id=classroom.id, learner_id=learner, display_name=name))
        else:
            enrolled.display_name = name
    flash(f"You are in “{classroom.name}” as {name}.")
    return redirect(url_for("students.my_classes"))


def _claim(
    session: Session, classroom: Classroom, learner: str, email: str, code: str, typed: str
) -> ResponseReturnValue:
    """Join as the imported roster's row with ``email``, under its name."""
    invite = session.get(RosterInvite, (classroom.id, email))
    if invite is None:
        claimed = session.scalar(
            select(Enrollment).where(Enrollment.class_id == classroom.id, Enrollment.email == email)
        )
        if claimed is not None and claimed.learner_id == learner:
            flash(f"You are in “{classroom.name}” as {claimed.display_name}.")
            return redirect(url_for("students.my_classes"))
        if claimed is not None:
            message = (
                "Someone already joined with that e-mail. If that was you, use the browser "
                "you joined with: your answers are kept there. Otherwise, ask your teacher."
            )
            return join_page(code, typed, message, 409, email)
        message = f"{email} is not on this class's roster. Check it, or ask your teacher."
        return join_page(code, typed, message, 404, email)
    store.ensure_learner(session, learner)
    enrolled = session.get(Enrollment, (classroom.id, learner))
    if enrolled is None:
        session.add(
            Enrollment(
                class_id=classroom.id, learner_id=learner, display_name=invite.name, email=email
            )
        )
    else:  # joined by name before: now the roster's student
        enrolled.display_name, enrolled.email = invite.name, email
    session.delete(invite)
    flash(f"You are in “{classroom.name}” as {invite.name}.")
    return redirect(url_for("students.my_classes"))


def _invited_as(session: Session, class_id: int, name: str) -> bool:
    """Whether an imported student not joined yet has ``name`` (case aside)."""
    names = session.scalars(select(RosterInvite.name).where(RosterInvite.class_id == class_id))
    return name.casefold() in {n.casefold() for n in names}


def _name_taken(session: Session, class_id: int, learner: str, name: str) -> bool:
    """Whether another learner in the class uses ``name`` (case and spacing aside)."""
    others = select(Enrollment.display_name).where(
        Enrollment.class_id == class_id, Enrollment.learner_id != learner
    )
    return name.casefold() in {other.casefold() for other in session.scalars(others)}


@bp.get("/classes")
def my_classes() -> ResponseReturnValue:
    learner = current_learner_id(create=False)
    classes: list[tuple[Enrollment, Classroom, Instructor, list[Due], list[Live]]] = []
    if learner is not None:
        session = db.get_session()
        done = progress.of(learner)
        joined = session.execute(
            select(Enrollment, Classroom, Instructor)
            .join(Classroom, Classroom.id == Enrollment.class_id)
            .join(Instructor, Instructor.id == Classroom.instructor_id)
            .where(Enrollment.learner_id == learner)
            .order_by(Enrollment.joined_at)
        )
        for enrollment, classroom, instructor in joined:
            dues = due_list(classroom.id, learner, done)
            running = live_now(classroom.id, learner)
            classes.append((enrollment, classroom, instructor, dues, running))
    return render_template("my_classes.html", classes=classes)


def live_now(class_id: int, learner: str) -> list[Live]:
    """The class's live sessions running now (started, not ended, still in the live
    store under that code for this class: codes are reused once a session expires),
    but those the presenter removed ``learner`` from."""
    records = db.get_session().scalars(
        select(LiveSessionRecord)
        .where(LiveSessionRecord.class_id == class_id, LiveSessionRecord.ended_at.is_(None))
        .order_by(LiveSessionRecord.started_at.desc())
    )
    running = []
    for record in records:
        found = None
        with contextlib.suppress(PayloadError):  # the store is down: not shown as running
            found = live.sessions().store.load(record.code)
        if found is None or found[0].get("ended") or found[0].get("class_id") != class_id:
            continue
        if learner in found[0].get("removed", []):
            continue
        running.append(Live(record.code, lesson_by_id(record.lesson_id), record.lab_id))
    return running


def due_list(class_id: int, learner: str, done: dict[str, Any]) -> list[Due]:
    """The class's assignments for this learner, soonest first."""
    session = db.get_session()
    rows = session.execute(
        select(Assignment, Extension)
        .outerjoin(
            Extension,
            (Extension.assignment_id == Assignment.id) & (Extension.learner_id == learner),
        )
        .where(Assignment.class_id == class_id)
    )
    dues = []
    for assignment, extension in rows:
        lesson = lesson_by_id(assignment.lesson_id)
        if lesson is None:
            continue
        own = extension.due_at if extension is not None else None
        row = summary(lesson, done.get(lesson.id, {}))
        dues.append(Due(lesson, own or assignment.due_at, assignment.due_at if own else None, row))
    return sorted(dues, key=lambda d: (d.due_at, d.lesson.module, d.lesson.order))


@bp.post("/classes/<int:class_id>/leave")
def leave(class_id: int) -> ResponseReturnValue:
    learner = current_learner_id(create=False)
    with db.transaction() as session:
        enrolled = session.get(Enrollment, (class_id, learner)) if learner else None
        if enrolled is None:
            abort(404)
        unenrol(session, enrolled)
    flash("You left the class. Your progress stays with you.")
    return redirect(url_for("students.my_classes"))
