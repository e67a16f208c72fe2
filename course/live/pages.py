"""Pages of a live session: the student's, the presenter's and the projector's, and
the session records the presenter reads afterwards.

Each session page is the lesson page with the session's lab following (or driving)
the shared lab; the presenter's page also has the staff panel and every control a
class needs on the lab, whatever the lesson's block offers (``CLASS_CONTROLS``); the
projector's shows the lab alone, with the join URL and its QR code. Who presents is
decided here from the login, as in the socket namespace.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from course import zones
from course.lab.spec import CONTROLS
from course.lessons.registry import Lesson, lessons
from course.live import record_view, sessions
from course.live.namespace import instructor_id
from course.live.polls import remember_session
from course.live.qr import join_svg
from course.live.state import CODE, LiveState
from course.live.teachers import class_zone, teaches
from course.pages import render_lesson
from course.storage import db
from course.web.identity import current_learner_id
from course.web.validation import PayloadError

bp = Blueprint("live", __name__)

# What a presenter may change on the class's lab (through the same ``lab.control`` as
# /lab): every setting a lab block may offer, hidden size and cell kind included.
CLASS_CONTROLS = CONTROLS


def _session(code: str) -> tuple[LiveState, Lesson]:
    code = code.upper()
    if not CODE.fullmatch(code):
        abort(404)
    try:
        state = sessions().state(code)
    except PayloadError as error:
        abort(503 if error.code == "unavailable" else 404)  # 503: the store is down, retry
    lesson: Lesson | None = lessons().get(state.lesson)
    if lesson is None:
        abort(404)
    return state, lesson


def _page(
    code: str, role: str, member: str | None = None, found: tuple[LiveState, Lesson] | None = None
) -> str:
    state, lesson = found or _session(code)
    live: dict[str, Any] = {"code": state.code, "role": role, "lab": state.spec.id}
    live["member"] = member
    if state.class_id is not None:
        live["class_name"] = class_name(state.class_id)
    if role == "presenter":
        live["lab_spec"] = replace(state.spec, controls=CLASS_CONTROLS)
        live["record"] = state.record
    if role in ("presenter", "projector"):
        join = url_for("live.follow", code=state.code, _external=True)
        live |= {"join_url": join, "qr": join_svg(join)}
    return render_lesson(lesson, live=live)


def class_name(class_id: int) -> str:
    found = current_app.extensions.get("live_class_name")  # see live.who_is_member
    return "" if found is None else str(found(class_id) or "")


def _signed_in() -> str | ResponseReturnValue:
    """The signed-in instructor's id, or the way to the sign-in page."""
    me = instructor_id()
    if me is not None:
        return me
    if "accounts.login" in current_app.view_functions:
        return redirect(url_for("accounts.login", next=request.path))
    abort(404)


@bp.get("/live")
def enter() -> ResponseReturnValue:
    """Students type the code their teacher shows."""
    code = (request.args.get("code") or "").strip().upper()
    if not code:
        return render_template("live_enter.html", code="", error=None)
    if CODE.fullmatch(code) and sessions().store.seq(code) is not None:
        return redirect(url_for("live.follow", code=code))
    error = "No live session has that code. Check it with your teacher."
    return render_template("live_enter.html", code=code, error=error), 404


@bp.get("/live/<code>")
def follow(code: str) -> ResponseReturnValue:
    """A student's page: a member of the session's class is in under their class
    name (no name asked); anyone else only if guests may join (see live/access.py). A
    teacher of the class who does not present goes to the page that offers to take over."""
    found = _session(code)
    state = found[0]
    me = instructor_id()
    if me is not None and me != state.presenter and teaches(state.class_id, me):
        return redirect(url_for("live.present", code=state.code))  # who presents; take over
    learner = current_learner_id()
    member = None
    if state.class_id is not None and learner is not None:
        member = sessions().member_name(state.class_id, learner)
    if learner is not None and learner in state.removed:
        error = "The presenter removed you from this live session."
        return render_template("live_enter.html", code="", error=error), 403
    if state.class_id is not None and member is None and not state.guests:
        error = (
            f"This live session is for the members of “{class_name(state.class_id)}”. "
            "Join the class with its code, then open the session from My classes."
        )
        return render_template("live_enter.html", code="", error=error, join=True), 403
    page = _page(code, "student", member, found)
    remember_session(code.upper())  # its polls shut their questions' copies in the lesson
    return page


@bp.get("/live/<code>/present")
def present(code: str) -> ResponseReturnValue:
    """The presenter's page; to another teacher of the session's class, who presents it
    and a button to take over (see live/takeover.py)."""
    state, lesson = _session(code)
    me = instructor_id()
    if me is None and "accounts.login" in current_app.view_functions:
        return redirect(url_for("accounts.login", next=request.path))
    if me == state.presenter:
        return _page(code, "presenter")
    if me is None or not teaches(state.class_id, me) or state.ended:
        abort(404)  # no hint that the session exists
    return render_template(
        "live_takeover.html",
        state=state,
        lesson=lesson,
        class_name=class_name(state.class_id) if state.class_id is not None else "",
        presenter=state.presenter_name or "Another teacher",
    )


@bp.post("/live/<code>/takeover")
def take_over(code: str) -> ResponseReturnValue:
    """A teacher of the session's class becomes its presenter (from the class page or
    the page above), and goes to the presenter's page."""
    me = _signed_in()
    if not isinstance(me, str):
        return me
    state, _ = _session(code)
    try:
        sessions().take_over(state.code, me)
    except PayloadError as error:
        if error.code == "forbidden":
            abort(404)  # as for a session that does not exist
        if error.code == "ended":
            return redirect(url_for("live.newest_record", code=state.code))
        raise
    return redirect(url_for("live.present", code=state.code))


@bp.get("/live/<code>/projector")
def projector(code: str) -> ResponseReturnValue:
    return _page(code, "projector")


# -- session records ------------------------------------------------------------------


@bp.get("/live/records")
def records() -> ResponseReturnValue:
    """The signed-in instructor's sessions, newest first."""
    me = _signed_in()
    if not isinstance(me, str):
        return me
    found = record_view.of_presenter(db.get_session(), me)
    zone_of = {row.id: class_zone(row.class_id) for row in found}
    return render_template("live_records.html", records=found, zones=zone_of, shown=zones.shown)


@bp.get("/live/<code>/record")
def newest_record(code: str) -> ResponseReturnValue:
    """The newest record of a session under ``code`` that the signed-in instructor
    presented (codes are reused once a session expires)."""
    me = _signed_in()
    if not isinstance(me, str):
        return me
    found = next(
        (r for r in record_view.of_presenter(db.get_session(), me) if r.code == code.upper()), None
    )
    if found is None:
        abort(404)
    return redirect(url_for("live.session_record", record_id=found.id))


@bp.get("/live/records/<record_id>")
@bp.get("/live/records/<record_id>.<fmt>")
def session_record(record_id: str, fmt: str = "html") -> ResponseReturnValue:
    """One session's record (HTML), or its download (``.csv``, ``.json``); only for the
    instructor who presented it or a teacher of its class (404 for anyone else: no hint
    that it exists)."""
    me = _signed_in()
    if not isinstance(me, str):
        return me
    if fmt not in ("html", "csv", "json") or len(record_id) > 32:
        abort(404)
    found = record_view.load(db.get_session(), record_id, me)
    if found is None:
        abort(404)
    name = f"live-{found.code}-{found.started_at:%Y%m%d-%H%M}"
    if fmt == "csv":
        return _download(found.as_csv(), "text/csv; charset=utf-8", f"{name}.csv")
    if fmt == "json":
        body = json.dumps(found.as_json(), ensure_ascii=False, indent=1)
        return _download(body, "application/json", f"{name}.json")
    lesson = next((x for x in lessons().lessons.values() if x.id == found.lesson_id), None)
    return render_template("live_record.html", record=found, lesson=lesson)


def _download(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
