"""Records of live classroom sessions: started from a class page, ended by the /live
namespace (which calls ``ended`` with the session's summary)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from course import live
from course.lessons.registry import lessons
from course.storage import db
from course.storage.models import LiveSessionRecord, utcnow
from course.teach.accounts import login_required
from course.teach.common import class_or_404, me

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
