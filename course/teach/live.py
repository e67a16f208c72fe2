"""Records of live classroom sessions: started from a class page, ended by the /live
namespace (which calls ``ended`` with the session's summary)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from course import live, zones
from course.lessons.registry import lessons
from course.storage import db
from course.storage.models import Classroom, LiveSessionRecord, utcnow
from course.teach.accounts import login_required
from course.teach.common import class_or_404, me, taught_by
from course.web.validation import PayloadError

bp = Blueprint("teach_live", __name__)


@bp.post("/teach/live")
@login_required
def start() -> ResponseReturnValue:
    """Start a session on a lesson's lab for a class; the form sends ``class_id``,
    ``lab`` as ``<lesson slug>/<lab id>`` and ``access``: ``class`` (its members only,
    until the presenter lets guests in) or ``open`` (guests with the code too)."""
    class_id = request.form.get("class_id", "")
    if not class_id.isdigit():
        abort(404)
    classroom = class_or_404(int(class_id))
    slug, _, lab_id = request.form.get("lab", "").partition("/")
    lesson = lessons().get(slug)
    if lesson is None or lab_id not in lesson.labs:
        flash("Pick a lab to present.", "error")
        return redirect(url_for("teach.page", class_id=classroom.id) + "#live")
    access = request.form.get("access", "class")
    if access not in ("class", "open"):
        flash("Choose who may join.", "error")
        return redirect(url_for("teach.page", class_id=classroom.id) + "#live")
    instructor = me()
    code = live.sessions().start(
        lesson,
        lab_id,
        presenter=str(instructor.id),
        class_id=classroom.id,
        guests=access == "open",
    )
    with db.transaction() as session:
        session.add(
            LiveSessionRecord(
                code=code,
                instructor_id=instructor.id,
                class_id=classroom.id,
                lesson_id=lesson.id,
                lab_id=lab_id,
            )
        )
    return redirect(f"/live/{code}/present")


def ended(code: str, summary: dict[str, Any]) -> None:
    """The presenter ended session ``code``: note when, and keep its summary (on the
    newest open record with that code; codes are reused once a session expires)."""
    with db.transaction() as session:
        record = session.scalar(
            select(LiveSessionRecord)
            .where(LiveSessionRecord.code == code, LiveSessionRecord.ended_at.is_(None))
            .order_by(LiveSessionRecord.started_at.desc(), LiveSessionRecord.id.desc())
            .limit(1)
        )
        if record is not None:
            record.ended_at = utcnow()
            record.summary = summary


def teaches(class_id: int, instructor: str) -> bool:
    """Whether instructor ``instructor`` (an id, as /live knows them) owns or co-teaches
    class ``class_id``, archived or not: they may take over its sessions and read
    their records."""
    if not instructor.isdigit():
        return False
    with db.sessions()() as session:
        found = session.scalar(
            select(Classroom.id).where(Classroom.id == class_id, taught_by(int(instructor)))
        )
        return found is not None


def class_zone(class_id: int) -> str | None:
    """Class ``class_id``'s time zone (None: no such class any more)."""
    with db.sessions()() as session:
        found = session.get(Classroom, class_id)
        return None if found is None else zones.valid(found.time_zone) or zones.DEFAULT


def presenting(records: Iterable[LiveSessionRecord], class_id: int) -> dict[str, tuple[str, str]]:
    """Who presents each running session of class ``class_id`` now (code → instructor
    id, name): on the class page, a teacher presents their own or takes over another's."""
    found: dict[str, tuple[str, str]] = {}
    for record in records:
        if record.ended_at is not None:
            continue
        try:
            state = live.sessions().state(record.code)
        except PayloadError:  # gone (expired), or the store is down: nothing to offer
            continue
        if state.class_id == class_id and not state.ended:
            found[record.code] = (state.presenter, state.presenter_name)
    return found
